namespace SupplyChain.Grains.Protocol;

/// <summary>The kinds of grain that take part in cross-grain operations.</summary>
public enum EntityKind
{
    /// <summary>A voucher tree, keyed by its root id: owns issuance, discount and closed-loop reservations.</summary>
    Tree,
    /// <summary>A loan: owns the reservations of its origination; holds the settlement a voucher pins on it.</summary>
    Loan,
    /// <summary>A core enterprise's issuance limit.</summary>
    Obligor,
    /// <summary>A funder's facility on one obligor.</summary>
    Facility,
    /// <summary>A purchase order: a loan draws on it, a voucher claims it.</summary>
    Order,
    /// <summary>A joint-guarantee group: its members' loans draw on it.</summary>
    Group,
    /// <summary>A risk pool: covers the loans enrolled in it.</summary>
    Pool,
    /// <summary>A funder's credit line on a supplier, held by the supplier's credit grain: its draws draw on it.</summary>
    CreditLine,
    /// <summary>A supplier's credit grain, keyed by the supplier id: told of the orders placed with it.</summary>
    SupplierCredit,
}

/// <summary>
/// A typed reference to a grain: who owns a reservation, who holds one, whom a notice goes to, who produced an
/// exposure event. The kind, not the shape of the id, says which grain it is. Stored as {"Kind":"Loan","Id":"ln…"}.
/// </summary>
[GenerateSerializer, Immutable, Alias("EntityRef")]
public sealed record EntityRef([property: Id(0)] EntityKind Kind, [property: Id(1)] string Id)
{
    public static EntityRef Tree(string rootId) => new(EntityKind.Tree, rootId);
    public static EntityRef Loan(string loanId) => new(EntityKind.Loan, loanId);
    public static EntityRef Obligor(string obligorId) => new(EntityKind.Obligor, obligorId);
    public static EntityRef Facility(string facilityId) => new(EntityKind.Facility, facilityId);
    public static EntityRef Order(string orderId) => new(EntityKind.Order, orderId);
    public static EntityRef Group(string groupId) => new(EntityKind.Group, groupId);
    public static EntityRef Pool(string poolId) => new(EntityKind.Pool, poolId);
    public static EntityRef CreditLine(string lineId) => new(EntityKind.CreditLine, lineId);
    public static EntityRef SupplierCredit(string supplierId) => new(EntityKind.SupplierCredit, supplierId);

    public override string ToString() => $"{Kind}:{Id}";
}

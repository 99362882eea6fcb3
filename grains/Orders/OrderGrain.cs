using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Participants;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Orders;

public sealed class OrderState : IOutboxState
{
    /// <summary>What the order tells others (the supplier's credit profile of what it received), delivered until each answered.</summary>
    public List<Notice> Notices { get; set; } = new();

    /// <summary>An order emits no exposure events (it is not an exposure); the outbox's other half stays empty.</summary>
    public List<SupplyChain.Grains.Risk.ExposureEvent> ExposureOutbox { get; set; } = new();

    public string PlaceOperationId { get; set; } = "";
    public string BuyerId { get; set; } = "";
    public string SupplierId { get; set; } = "";
    public long AmountFen { get; set; }
    public DateOnly PaymentDate { get; set; }
    public string Reference { get; set; } = "";
    public OrderStatus Status { get; set; }
    public string? CancelOperationId { get; set; }

    /// <summary>
    /// The reservation book of loans drawing on the order, by loan id: reserved while they originate, then committed;
    /// the amount is the loan's outstanding principal, the counterparty its funder.
    /// </summary>
    public Dictionary<string, Reservation> Loans { get; set; } = new();

    /// <summary>Brings a row stored before the reservation book to its shape.</summary>
    public void Upgrade() => new ReservationBook(Loans).Upgrade((loanId, _) => EntityRef.Loan(loanId));

    /// <summary>The voucher paying the order: claimed while it is issued, committed once it exists.</summary>
    public OrderClaim? Claim { get; set; }
}

public sealed class OrderClaim
{
    public string RootId { get; set; } = "";
    public bool Committed { get; set; }
    public DateTimeOffset ReservedAt { get; set; }
    public List<OrderLoan> Loans { get; set; } = new();
}

public sealed class OrderGrain(
    [PersistentState("order", Storage.Name)] IPersistentState<OrderState> state,
    PlatformClock clock,
    PlatformTime time,
    IOptions<PlatformRules> rules,
    ILogger<OrderGrain> logger) : Grain, IOrderGrain
{
    private ReservationSweep? _sweep;
    private DurableOutbox? _outbox;

    private DurableOutbox Outbox => _outbox ??= new DurableOutbox(this, GrainFactory, EntityRef.Order(this.GetPrimaryKeyString()), () => S, logger);

    private OrderState S => state.State;
    private string OrderId => this.GetPrimaryKeyString();
    private ReservationBook Book => new(S.Loans);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        S.Upgrade();
        EnsureSweep();
        await Outbox.RecoverAsync(); // a process may have died between a write and its notices
    }

    public async Task<Outcome<Order>> Place(Caller caller, string operationId, PlaceOrder command)
    {
        if (state.RecordExists)
            return S.PlaceOperationId == operationId ? Outcome<Order>.Ok(View()) : Fault.Conflict("An order with this id already exists.");
        var supplier = await GrainFactory.GetGrain<IParticipantGrain>(command.SupplierId).Get();
        if (supplier?.Role != Role.Supplier) return Fault.Validation("supplierId", "The supplier must be a supplier on the platform.");
        var today = await clock.TodayAsync();
        if (command.PaymentDate <= today) return Fault.Validation("paymentDate", "The payment date must be later than today.");
        if (command.PaymentDate > today.AddDays(rules.Value.MaxTenorDays))
            return Fault.Validation("paymentDate", $"The payment date may be at most {rules.Value.MaxTenorDays} days out.");
        S.PlaceOperationId = operationId;
        S.BuyerId = caller.Id;
        S.SupplierId = command.SupplierId;
        S.AmountFen = command.Amount.Fen;
        S.PaymentDate = command.PaymentDate;
        S.Reference = command.Reference;
        S.Status = OrderStatus.Confirmed;
        S.Notices.Add(Notice.Receipt(S.SupplierId, OrderId, S.BuyerId, S.AmountFen, today));
        await state.WriteOrDeactivateAsync(this);
        await Outbox.DeliverAsync();
        return Outcome<Order>.Ok(View());
    }

    public Task<Outcome<Order>> Get(Caller caller) =>
        Task.FromResult(CanSee(caller) ? Outcome<Order>.Ok(View()) : Fault.NotFound("Order"));

    public async Task<Outcome<Order>> Cancel(Caller caller, string operationId)
    {
        if (!state.RecordExists || caller.Id != S.BuyerId) return Fault.NotFound("Order");
        if (S.Status == OrderStatus.Cancelled)
            return S.CancelOperationId == operationId ? Outcome<Order>.Ok(View()) : Fault.InvalidState("The order is already cancelled.");
        if (S.Status == OrderStatus.Paid) return Fault.InvalidState($"The order was paid with voucher {S.Claim!.RootId}; it cannot be cancelled.");
        if (S.Claim is not null) return Fault.InvalidState("A voucher paying this order is being issued; it cannot be cancelled.");
        if (S.Loans.Values.Any(l => !l.Committed || l.AmountFen > 0))
            return Fault.InvalidState("A loan draws on this order; it cannot be cancelled until the loan is repaid.");
        S.Status = OrderStatus.Cancelled;
        S.CancelOperationId = operationId;
        S.Notices.Add(Notice.Receipt(S.SupplierId, OrderId, S.BuyerId, 0, await clock.TodayAsync()));
        await state.WriteOrDeactivateAsync(this);
        await Outbox.DeliverAsync();
        return Outcome<Order>.Ok(View());
    }

    public async Task<Outcome<DrawTerms>> ReserveDraw(DrawRequest request)
    {
        var (loanId, borrowerId, funderId, amount, today) = (request.LoanId, request.BorrowerId, request.FunderId ?? "", request.Amount, request.Today);
        var terms = new DrawTerms(DueDate, funderId, null);
        switch (Book.AlreadyReserved(loanId, EntityRef.Loan(loanId), amount.Fen, funderId))
        {
            case true: return Outcome<DrawTerms>.Ok(terms);
            case false: return Fault.Conflict("This loan is already reserved on the order with other terms.");
        }
        if (!state.RecordExists || borrowerId != S.SupplierId) return Fault.NotFound("Order");
        if (S.Status == OrderStatus.Cancelled) return Fault.InvalidState("The order is cancelled; it cannot be financed.");
        if (S.Status == OrderStatus.Paid || S.Claim is not null)
            return Fault.InvalidState("The buyer has paid this order with a voucher; it cannot be financed.");
        if (today > S.PaymentDate)
            return Fault.InvalidState($"The order's payment date, {S.PaymentDate:yyyy-MM-dd}, has passed; it cannot be financed.");
        var cap = (long)decimal.Floor(S.AmountFen * rules.Value.OrderFinancingRatio);
        var drawn = Book.UsedFen;
        if (drawn + amount.Fen > cap)
            return new Fault(FaultCodes.LimitExceeded, 409,
                $"Loans on this order may have at most {new Money(cap)} outstanding ({rules.Value.OrderFinancingRatio * 100:0.##}% of {new Money(S.AmountFen)}); " +
                $"{new Money(drawn)} is drawn, so at most {new Money(Math.Max(0, cap - drawn))} more can be borrowed.", "amount");
        Book.Reserve(loanId, EntityRef.Loan(loanId), amount.Fen, time.UtcNow, funderId);
        await state.WriteOrDeactivateAsync(this);
        EnsureSweep();
        return Outcome<DrawTerms>.Ok(terms);
    }

    /// <summary>A loan on the order falls due a set number of days after the order's payment date.</summary>
    private DateOnly DueDate => S.PaymentDate.AddDays(rules.Value.LoanDueAfterPaymentDays);

    /// <summary>A loan's room, or the voucher claim, took effect (a committed claim means the order is paid).</summary>
    public async Task Commit(string item)
    {
        if (Book.Commit(item)) await state.WriteOrDeactivateAsync(this);
        else if (S.Claim is { Committed: false } claim && claim.RootId == item)
        {
            claim.Committed = true;
            S.Status = OrderStatus.Paid;
            await state.WriteOrDeactivateAsync(this);
        }
    }

    /// <summary>A loan that never took effect gives its room back; a voucher that was never issued gives up its claim.</summary>
    public async Task Release(string item)
    {
        if (Book.Release(item)) await state.WriteOrDeactivateAsync(this);
        else if (S.Claim is { Committed: false } claim && claim.RootId == item)
        {
            S.Claim = null;
            await state.WriteOrDeactivateAsync(this);
        }
    }

    public async Task Close(string item)
    {
        if (Book.Close(item)) await state.WriteOrDeactivateAsync(this);
    }

    /// <summary>A loan's principal outstanding is now <paramref name="amount"/> (zero: repaid).</summary>
    public async Task SetAmount(string item, Money amount, long version)
    {
        if (Book.SetAmount(item, amount.Fen, version)) await state.WriteOrDeactivateAsync(this);
    }

    public async Task<Outcome<IReadOnlyList<OrderLoan>>> Claim(string rootId, string buyerId, string beneficiaryId)
    {
        if (S.Claim?.RootId == rootId) return Outcome<IReadOnlyList<OrderLoan>>.Ok(S.Claim.Loans);
        if (!state.RecordExists || buyerId != S.BuyerId) return Fault.Validation("orderId", "is not a known order");
        if (beneficiaryId != S.SupplierId) return Fault.Validation("beneficiaryId", "A voucher against an order goes to the order's supplier.");
        if (S.Status == OrderStatus.Cancelled) return Fault.InvalidState("The order is cancelled; no voucher can be issued against it.");
        if (S.Status == OrderStatus.Paid) return Fault.InvalidState($"The order was already paid with voucher {S.Claim!.RootId}.");
        if (S.Claim is not null) return Fault.Conflict("Another voucher paying this order is being issued.");
        if (S.Loans.Values.Any(l => !l.Committed)) return Fault.Conflict("A financing of this order is in progress; retry shortly.");
        S.Claim = new OrderClaim
        {
            RootId = rootId,
            ReservedAt = time.UtcNow,
            Loans = S.Loans.Where(l => l.Value.AmountFen > 0).OrderBy(l => l.Value.ReservedAt).ThenBy(l => l.Key, StringComparer.Ordinal)
                .Select(l => new OrderLoan(l.Key, l.Value.Counterparty!)).ToList(),
        };
        await state.WriteOrDeactivateAsync(this);
        EnsureSweep();
        return Outcome<IReadOnlyList<OrderLoan>>.Ok(S.Claim.Loans);
    }

    public async Task Reopen(string rootId)
    {
        if (S.Claim is not { Committed: true } claim || claim.RootId != rootId || S.Status != OrderStatus.Paid) return;
        S.Claim = null;
        S.Status = OrderStatus.Confirmed;
        await state.WriteOrDeactivateAsync(this);
    }

    /// <summary>The buyer, the supplier, any funder lending on it, operators and risk staff (scoped staff: where their funder lends).</summary>
    private bool CanSee(Caller caller)
    {
        if (!state.RecordExists) return false;
        var lenders = S.Loans.Where(l => l.Value.Committed).Select(l => l.Value.Counterparty);
        return caller.Role switch
        {
            Role.Operator => true,
            Role.Risk => caller.FunderScope is null || lenders.Contains(caller.FunderScope),
            _ => caller.Id == S.BuyerId || caller.Id == S.SupplierId || lenders.Contains(caller.Id),
        };
    }

    private Order View() => new(OrderId, S.BuyerId, S.SupplierId, new Money(S.AmountFen), S.PaymentDate, S.Reference, S.Status,
        S.Claim is { Committed: true } ? S.Claim.RootId : null);

    private void EnsureSweep() =>
        (_sweep ??= new ReservationSweep(this, GrainFactory, EntityRef.Order(OrderId), rules.Value.ReservationTimeout, () => time.UtcNow))
        .Ensure(() => Book.Open.Concat(S.Claim is { Committed: false } c ? [new OpenReservation(c.RootId, EntityRef.Tree(c.RootId), c.ReservedAt)] : []));
}

using SupplyChain.Grains.Common;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Groups;

public enum GroupStatus
{
    /// <summary>Formed; waiting for every member's consent.</summary>
    Proposed,
    /// <summary>Every member consented: members borrow within the group limit.</summary>
    Active,
    /// <summary>A member's group loan defaulted: no new loans.</summary>
    Frozen,
}

public static class GroupStatuses
{
    public static string Wire(this GroupStatus s) => s.ToString().ToLowerInvariant();
}

[GenerateSerializer, Immutable, Alias("GroupMember")]
public sealed record GroupMember([property: Id(0)] string Id, [property: Id(1)] bool Consented, [property: Id(2)] Money Cap, [property: Id(3)] Money CapUsed);

[GenerateSerializer, Immutable, Alias("GuaranteeGroup")]
public sealed record GuaranteeGroup(
    [property: Id(0)] string Id,
    [property: Id(1)] string FunderId,
    [property: Id(2)] IReadOnlyList<GroupMember> Members,
    [property: Id(3)] Money GroupLimit,
    [property: Id(4)] Money Outstanding,
    [property: Id(5)] decimal AnnualRate,
    [property: Id(6)] DateOnly ExpiresOn,
    [property: Id(7)] GroupStatus Status);

[GenerateSerializer, Immutable, Alias("FormGroup")]
public sealed record FormGroup(
    [property: Id(0)] string FunderId,
    [property: Id(1)] IReadOnlyList<string> MemberIds,
    [property: Id(2)] Money GroupLimit,
    [property: Id(3)] Money MemberCap,
    [property: Id(4)] decimal AnnualRate,
    [property: Id(5)] DateOnly ExpiresOn);

/// <summary>What one member was called to pay for another's defaulted loan, and (on the loan) what it has paid of it.</summary>
[GenerateSerializer, Immutable, Alias("GuaranteeCall")]
public sealed record GuaranteeCall([property: Id(0)] string MemberId, [property: Id(1)] Money Amount, [property: Id(2)] Money Paid = default);

/// <summary>
/// A joint-guarantee group (联贷联保), keyed by its id: 3 to 10 suppliers borrowing from one funder and guaranteeing
/// each other, each up to a cap. Its limit is a reservation book of its members' loans (<see cref="ILoanBase"/>): a loan
/// drawing on the group reserves its principal here, and its outstanding principal follows. On a member's default it
/// calls the other members (step 1 of the loss waterfall) and freezes.
/// </summary>
[Alias("IGuaranteeGroupGrain")]
public interface IGuaranteeGroupGrain : ILoanBase
{
    [Alias("Form")]
    Task<Outcome<GuaranteeGroup>> Form(Caller caller, string operationId, FormGroup command);

    /// <summary>A member consents; the group is active once every member has. Idempotent.</summary>
    [Alias("Consent")]
    Task<Outcome<GuaranteeGroup>> Consent(Caller caller);

    /// <summary>Writes the group's read-model row again (the sweep's answer to a row that lags the stored state).</summary>
    [Alias("Reproject")]
    Task Reproject();

    [Alias("Get")]
    Task<Outcome<GuaranteeGroup>> Get(Caller caller);

    /// <summary>Whether <paramref name="participantId"/> is a member (a member may see the group's loans).</summary>
    [Alias("IsMember")]
    Task<bool> IsMember(string participantId);

    /// <summary>
    /// The loan <paramref name="loanId"/> of <paramref name="borrowerId"/> defaulted with <paramref name="loss"/>: calls the
    /// other members pro rata to their remaining caps, freezes the group, and returns the calls. Idempotent by loan id:
    /// a repeated call returns the calls made the first time.
    /// </summary>
    [Alias("CallGuarantors")]
    Task<IReadOnlyList<GuaranteeCall>> CallGuarantors(string loanId, string borrowerId, Money loss);
}

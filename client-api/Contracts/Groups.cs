using SupplyChain.Grains.Groups;

namespace SupplyChain.Api.Contracts;

public sealed record FormGroupRequest(string? FunderId, string?[]? MemberIds, decimal? GroupLimit, decimal? MemberCap, decimal? AnnualRate,
    DateOnly? ExpiresOn);

public sealed record GroupLoanRequest(decimal? Amount, int? TermDays);

public sealed record GroupMemberDto(string Id, bool Consented, decimal Cap, decimal CapUsed);

public sealed record GuaranteeGroupDto(string Id, string FunderId, IReadOnlyList<GroupMemberDto> Members, decimal GroupLimit, decimal Outstanding,
    decimal AnnualRate, DateOnly ExpiresOn, string Status)
{
    public static GuaranteeGroupDto From(GuaranteeGroup g) =>
        new(g.Id, g.FunderId, g.Members.Select(m => new GroupMemberDto(m.Id, m.Consented, m.Cap.Yuan, m.CapUsed.Yuan)).ToList(), g.GroupLimit.Yuan,
            g.Outstanding.Yuan, g.AnnualRate, g.ExpiresOn, g.Status.Wire());
}

using System.Text.Json.Serialization;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Facilities;
using SupplyChain.Grains.Participants;
using SupplyChain.Grains.Vouchers;

namespace SupplyChain.Api.Contracts;

public sealed record ParticipantDto(string Id, string Name, string Kind,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? FunderId)
{
    public static ParticipantDto From(Participant p) => new(p.Id, p.Name, p.Role.ToString().ToLowerInvariant(), p.FunderId);
}

public sealed record CreatedParticipantDto(string Id, string Name, string Kind, string ApiKey);

public sealed record CreatedRiskStaffDto(string Id, string Name, string? FunderId, string ApiKey);

public sealed record FacilityDto(string Id, string FunderId, string ObligorId, decimal Limit, decimal Used, decimal AnnualRate, DateOnly ExpiresOn)
{
    public static FacilityDto From(Facility f) => new(f.Id, f.FunderId, f.ObligorId, f.Limit.Yuan, f.Used.Yuan, f.AnnualRate, f.ExpiresOn);
}

public sealed record IssuanceDto(string ObligorId, decimal Limit, decimal Outstanding, decimal? OperatorLimit)
{
    public static IssuanceDto From(string obligorId, IssuancePosition p) =>
        new(obligorId, p.Limit.Yuan, p.Outstanding.Yuan, p.OperatorLimit?.Yuan);
}

public sealed record VoucherDto(string Id, string RootId, string? ParentId, string ObligorId, string HolderId, decimal Amount,
    DateOnly IssueDate, DateOnly MaturityDate, int Tier, string Status, string? OrderId)
{
    public static VoucherDto From(Voucher v) => new(v.Id, v.RootId, v.ParentId, v.ObligorId, v.HolderId, v.Amount.Yuan,
        v.IssueDate, v.MaturityDate, v.Tier, v.Status.Wire(), v.OrderId);

    public static VoucherDto? FromNullable(Voucher? v) => v is null ? null : From(v);
}

public sealed record VoucherPageDto(IReadOnlyList<VoucherDto> Items, string? Next);

public sealed record VoucherTreeDto(VoucherDto Root, IReadOnlyList<VoucherDto> Fragments);

public sealed record SplitDto(VoucherDto Parent, IReadOnlyList<VoucherDto> Children);

public sealed record TransferDto(VoucherDto Parent, VoucherDto Transferred,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] VoucherDto? Remainder);

public sealed record DiscountDto(VoucherDto Parent, VoucherDto Financed,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] VoucherDto? Remainder,
    decimal Proceeds, decimal Charge, decimal AnnualRate, int Days);

public sealed record PaymentDto(string ToId, decimal Amount);

public sealed record RepayDto(VoucherDto Root, IReadOnlyList<VoucherDto> Settled, IReadOnlyList<PaymentDto> Payments);

public sealed record ClockDto(DateOnly Today);

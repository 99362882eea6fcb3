namespace SupplyChain.Api.Contracts;

public sealed record StressRequest(string[]? DefaultingIds);

public sealed record ExposureItemDto(string Kind, string Id, decimal Amount, decimal FunderHeld, decimal SupplierHeld);

public sealed record ExposureListDto(IReadOnlyList<ExposureItemDto> Items);

public sealed record CounterpartyDto(string Id, string Role, decimal Amount);

public sealed record FacilityUsageDto(string FacilityId, string ObligorId, decimal Limit, decimal Used);

public sealed record ExposureDetailDto(
    string Kind,
    string Id,
    decimal Outstanding,
    IReadOnlyDictionary<string, decimal> ByStatus,
    IReadOnlyDictionary<string, decimal> ByTier,
    IReadOnlyDictionary<string, decimal> ByHolderType,
    IReadOnlyList<CounterpartyDto> ByCounterparty,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyList<FacilityUsageDto>? Facilities,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    decimal? Concentration);

public sealed record ChainHolderDto(string HolderId, string HolderType, decimal Amount);

public sealed record ChainTierDto(int Tier, decimal Amount, IReadOnlyList<ChainHolderDto> Holders);

public sealed record ChainDto(string CoreId, decimal Total, decimal FunderHeld, decimal SupplierHeld, IReadOnlyList<ChainTierDto> Tiers);

public sealed record StressLossDto(string FunderId, decimal Exposure, decimal GuarantorRecovery, decimal PoolRecovery, decimal NetLoss);

public sealed record StressDto(IReadOnlyList<StressLossDto> Losses);

public sealed record ReconciliationDifferenceDto(string ObligorId, string HolderId, string HolderRole, string Status, int Tier, decimal Streamed, decimal Recomputed);

public sealed record ReconciliationDto(bool Consistent, DateTimeOffset CheckedAt, int TreesChecked, int LoansChecked, IReadOnlyList<ReconciliationDifferenceDto> Differences);

public sealed record AlertDto(long Id, string Kind, string SubjectId, string? FunderId, string? ObligorId, string Detail, DateTimeOffset RaisedAt);

public sealed record AlertPageDto(IReadOnlyList<AlertDto> Items, string? Next);

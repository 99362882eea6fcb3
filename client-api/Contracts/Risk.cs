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

/// <summary>A group's, a pool's or a credit line's figure as its read model shows it, against the same figure recomputed from its loans and its grain.</summary>
public sealed record BookDifferenceDto(string Kind, string Id, string Figure, decimal Projected, decimal Recomputed);

public sealed record ReconciliationDto(
    bool Consistent,
    DateTimeOffset CheckedAt,
    int TreesChecked,
    int LoansChecked,
    IReadOnlyList<ReconciliationDifferenceDto> Differences,
    int GroupsChecked,
    int PoolsChecked,
    IReadOnlyList<BookDifferenceDto> BookDifferences,
    int CreditLinesChecked = 0);

/// <summary>A guarantee group in the list of <c>by=group</c>: what its members' loans owe, and what its members were called.</summary>
public sealed record GroupExposureItemDto(string Kind, string Id, string FunderId, string Status, decimal GroupLimit, decimal Outstanding, decimal CapUsed, decimal CapTotal);

/// <summary>A risk pool in the list of <c>by=pool</c>.</summary>
public sealed record PoolExposureItemDto(string Kind, string Id, string Name, string Status, decimal Covered, decimal Capacity, decimal Balance, decimal Floor);

public sealed record GroupExposureListDto(IReadOnlyList<GroupExposureItemDto> Items);

public sealed record PoolExposureListDto(IReadOnlyList<PoolExposureItemDto> Items);

/// <summary>A loan of a group or in a pool, as the group's or the pool's detail lists it.</summary>
public sealed record BookLoanDto(string LoanId, string BorrowerId, string FunderId, string Status, decimal Outstanding);

public sealed record GroupMemberExposureDto(string Id, decimal Cap, decimal CapUsed, decimal Outstanding);

public sealed record GroupExposureDetailDto(
    string Kind,
    string Id,
    string FunderId,
    string Status,
    decimal GroupLimit,
    decimal Outstanding,
    decimal CapUsed,
    IReadOnlyList<GroupMemberExposureDto> Members,
    IReadOnlyList<BookLoanDto> Loans);

public sealed record PoolExposureDetailDto(
    string Kind,
    string Id,
    string Name,
    string Status,
    decimal Balance,
    decimal Floor,
    decimal Leverage,
    decimal CoverageRatio,
    decimal Covered,
    decimal Capacity,
    decimal Contributed,
    decimal PaidOut,
    IReadOnlyList<BookLoanDto> Loans);

public sealed record AlertDto(long Id, string Kind, string SubjectId, string? FunderId, string? ObligorId, string Detail, DateTimeOffset RaisedAt);

public sealed record AlertPageDto(IReadOnlyList<AlertDto> Items, string? Next);

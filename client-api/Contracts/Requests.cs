namespace SupplyChain.Api.Contracts;

// Request bodies. Every property is nullable so that a missing one is reported by name, not as a parse error.

public sealed record CreateParticipantRequest(string? Name, string? Kind);

public sealed record CreateRiskStaffRequest(string? Name, string? FunderId);

public sealed record CreateFacilityRequest(string? FunderId, string? ObligorId, decimal? Limit, decimal? AnnualRate, DateOnly? ExpiresOn);

public sealed record SetLimitRequest(decimal? Limit);

public sealed record SetIssuanceLimitRequest(decimal? Limit);

public sealed record IssueVoucherRequest(string? BeneficiaryId, decimal? Amount, DateOnly? MaturityDate, string? OrderId);

public sealed record SplitRequest(decimal?[]? Amounts);

public sealed record TransferRequest(string? ToId, decimal? Amount);

public sealed record DiscountRequest(string? FunderId, decimal? Amount);

public sealed record AdvanceClockRequest(int? Days);

public sealed record PlaceOrderRequest(string? SupplierId, decimal? Amount, DateOnly? PaymentDate, string? Reference);

public sealed record FinanceOrderRequest(string? FunderId, decimal? Amount);

public sealed record RepayLoanRequest(decimal? Amount);

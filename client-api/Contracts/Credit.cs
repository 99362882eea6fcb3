using System.Text.Json.Serialization;
using SupplyChain.Grains.Credit;

namespace SupplyChain.Api.Contracts;

/// <summary>Annual rates by grade, keyed as API.md writes them (A to D; E never borrows).</summary>
public sealed record RatesByGradeRequest(
    [property: JsonPropertyName("A")] decimal? A,
    [property: JsonPropertyName("B")] decimal? B,
    [property: JsonPropertyName("C")] decimal? C,
    [property: JsonPropertyName("D")] decimal? D);

public sealed record CreditPolicyRequest(string? FunderId, string? MinGrade, RatesByGradeRequest? RatesByGrade, decimal? LineShare, decimal? MaxLimit,
    int? MaxTermDays);

public sealed record CreditApplicationRequest(string? FunderId);

public sealed record CreditDrawRequest(decimal? Amount, int? TermDays);

public sealed record ScoreFactorDto(string Name, decimal Value, int Points, int MaxPoints);

public sealed record CreditScoreDto(string SupplierId, int Score, string Grade, IReadOnlyList<ScoreFactorDto> Factors, DateOnly AsOf)
{
    public static CreditScoreDto From(CreditScore s) =>
        new(s.SupplierId, s.Score, s.Grade.ToString(), s.Factors.Select(f => new ScoreFactorDto(f.Name, f.Value, f.Points, f.MaxPoints)).ToList(), s.AsOf);
}

public sealed record CreditPolicyDto(string Id, string FunderId, string MinGrade, IReadOnlyDictionary<string, decimal> RatesByGrade, decimal LineShare,
    decimal MaxLimit, int MaxTermDays, DateTimeOffset PublishedAt)
{
    public static CreditPolicyDto From(CreditPolicy p) =>
        new(p.Id, p.FunderId, p.MinGrade.ToString(), p.RatesByGrade.OrderBy(r => r.Key).ToDictionary(r => r.Key.ToString(), r => r.Value), p.LineShare,
            p.MaxLimit.Yuan, p.MaxTermDays, p.PublishedAt);
}

public sealed record CreditSignalDto(string Id, string ObligorId, string Kind, IReadOnlyDictionary<string, string> Evidence, DateTimeOffset RaisedAt,
    DateTimeOffset? ClearedAt);

public sealed record CreditLineDto(string Id, string FunderId, string SupplierId, decimal Limit, decimal Used, decimal AnnualRate, string Grade,
    DateOnly ExpiresOn, int MaxTermDays, string Status, IReadOnlyList<CreditSignalDto> Signals)
{
    public static CreditLineDto From(CreditLine l) =>
        new(l.Id, l.FunderId, l.SupplierId, l.Limit.Yuan, l.Used.Yuan, l.AnnualRate, l.Grade.ToString(), l.ExpiresOn, l.MaxTermDays,
            l.Status.ToString().ToLowerInvariant(),
            l.Signals.Select(s => new CreditSignalDto(s.Id, s.ObligorId, s.Kind, s.Evidence, s.RaisedAt, s.ClearedAt)).ToList());
}

public sealed record CreditDecisionDto(string Decision, IReadOnlyList<string> Reasons, CreditScoreDto Score, CreditLineDto? Line)
{
    public static CreditDecisionDto From(CreditDecision d) =>
        new(d.Approved ? "approved" : "declined", d.Reasons, CreditScoreDto.From(d.Score), d.Line is null ? null : CreditLineDto.From(d.Line));
}

public sealed record SignalPageDto(IReadOnlyList<CreditSignalDto> Items, string? Next);

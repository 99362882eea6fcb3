namespace SupplyChain.Grains.Groups;

/// <summary>
/// Step 1 of the loss waterfall (DOMAIN.md): the other members are called pro rata to their remaining caps, each at most
/// its remaining cap. Calls are rounded down to the fen and the fen left over go one at a time to the largest
/// remainders, ties by member id, so the calls add up exactly to min(loss, Σ remaining caps).
/// </summary>
public static class GuaranteeCalls
{
    public static IReadOnlyList<(string MemberId, long AmountFen)> Allocate(long lossFen, IReadOnlyList<(string MemberId, long RemainingFen)> guarantors)
    {
        if (lossFen < 0) throw new ArgumentOutOfRangeException(nameof(lossFen));
        if (guarantors.Any(g => g.RemainingFen < 0)) throw new ArgumentOutOfRangeException(nameof(guarantors));
        Int128 capacity = 0;
        foreach (var g in guarantors) capacity += g.RemainingFen;
        if (capacity == 0 || lossFen == 0) return guarantors.Select(g => (g.MemberId, 0L)).ToList();
        var total = lossFen < capacity ? lossFen : (long)capacity;

        // Exact share = total × remaining / capacity: the whole fen, and the remainder of the division that orders the leftovers.
        var shares = guarantors.Select(g =>
        {
            var numerator = (Int128)total * g.RemainingFen;
            return (g.MemberId, Fen: (long)(numerator / capacity), Remainder: numerator % capacity);
        }).ToList();
        var leftover = total - shares.Sum(s => s.Fen);
        var extra = shares
            .Where(s => s.Remainder > 0)
            .OrderByDescending(s => s.Remainder).ThenBy(s => s.MemberId, StringComparer.Ordinal)
            .Take((int)leftover)
            .Select(s => s.MemberId)
            .ToHashSet(StringComparer.Ordinal);
        return shares.Select(s => (s.MemberId, s.Fen + (extra.Contains(s.MemberId) ? 1 : 0))).ToList();
    }
}

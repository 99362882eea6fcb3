using System.Text.Json.Serialization;

namespace SupplyChain.Grains.Protocol;

/// <summary>One reservation in a holder's book, stored in the holder's state under its item id.</summary>
public sealed class Reservation
{
    /// <summary>On whose behalf the room is held: the grain asked to resolve the reservation if it stays open.</summary>
    public EntityRef Owner { get; set; } = EntityRef.Tree("");

    /// <summary>What the item uses of the limit now (a loan's outstanding principal may fall below what was reserved).</summary>
    public long AmountFen { get; set; }

    /// <summary>What was asked for: a retried reserve must ask for the same.</summary>
    public long RequestedFen { get; set; }

    /// <summary>The party the room is for, where the holder needs to know it (the funder of a loan on an order).</summary>
    public string? Counterparty { get; set; }

    public bool Committed { get; set; }
    public DateTimeOffset ReservedAt { get; set; }

    /// <summary>The owner's version the amount is from: older news is ignored.</summary>
    public long Version { get; set; }

    // Rows stored before the book (until 2026-12) kept the owner as a bare id and an order's loans in other
    // fields: read once by Upgrade, never written again.
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? RootId { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? FunderId { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? PrincipalFen { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? OutstandingFen { get; set; }
}

/// <summary>
/// The bookkeeping every limit holder shares: reserve, commit, release, close and set-amount by item id, over the
/// dictionary stored in the holder's state. The holder decides whether a reservation is allowed (its limit, its
/// rules); the book applies it so that every call is idempotent, and says whether anything changed (worth a write).
/// </summary>
public readonly struct ReservationBook(Dictionary<string, Reservation> entries)
{
    public long UsedFen => entries.Values.Sum(e => e.AmountFen);

    public bool Holds(string item) => entries.ContainsKey(item);

    public IEnumerable<KeyValuePair<string, Reservation>> Entries => entries;

    /// <summary>
    /// Whether a reserve of <paramref name="item"/> was already applied: null when it is not in the book, true when the
    /// same owner asked for the same (a retry: answer as before), false when it is held with other terms (a conflict).
    /// </summary>
    public bool? AlreadyReserved(string item, EntityRef owner, long amountFen, string? counterparty = null) =>
        entries.TryGetValue(item, out var existing)
            ? existing.Owner == owner && existing.RequestedFen == amountFen && existing.Counterparty == counterparty
            : null;

    /// <summary>Adds an open reservation; the holder checked <see cref="AlreadyReserved"/> and its own limit first.</summary>
    public void Reserve(string item, EntityRef owner, long amountFen, DateTimeOffset now, string? counterparty = null) =>
        entries[item] = new Reservation
        {
            Owner = owner, AmountFen = amountFen, RequestedFen = amountFen, Counterparty = counterparty, ReservedAt = now,
        };

    public bool Commit(string item)
    {
        if (!entries.TryGetValue(item, out var entry) || entry.Committed) return false;
        entry.Committed = true;
        return true;
    }

    /// <summary>Drops an open reservation. A committed one stays: only the owner's decision that it took effect committed it.</summary>
    public bool Release(string item) =>
        entries.TryGetValue(item, out var entry) && !entry.Committed && entries.Remove(item);

    public bool Close(string item) => entries.Remove(item);

    public bool SetAmount(string item, long amountFen, long version)
    {
        if (!entries.TryGetValue(item, out var entry) || version <= entry.Version) return false;
        entry.AmountFen = amountFen;
        entry.Version = version;
        entry.Committed = true;
        return true;
    }

    /// <summary>The open reservations: what the sweep watches.</summary>
    public IEnumerable<OpenReservation> Open =>
        entries.Where(e => !e.Value.Committed).Select(e => new OpenReservation(e.Key, e.Value.Owner, e.Value.ReservedAt));

    /// <summary>
    /// Rows stored before the book did not name the owner's kind: <paramref name="owner"/> names it from the old row
    /// (item id and stored fields); an order's loans kept principal, outstanding and funder in fields of their own.
    /// </summary>
    public void Upgrade(Func<string, Reservation, EntityRef> owner)
    {
        foreach (var (item, entry) in entries)
        {
            if (entry.Owner.Id.Length > 0) continue;
            entry.Owner = owner(item, entry);
            if (entry.OutstandingFen is { } outstanding) entry.AmountFen = outstanding;
            entry.RequestedFen = entry.PrincipalFen ?? entry.AmountFen;
            entry.Counterparty ??= entry.FunderId;
            (entry.RootId, entry.FunderId, entry.PrincipalFen, entry.OutstandingFen) = (null, null, null, null);
        }
    }
}

public readonly record struct OpenReservation(string Item, EntityRef Owner, DateTimeOffset ReservedAt);

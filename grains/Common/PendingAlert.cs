using SupplyChain.Db.Stores;

namespace SupplyChain.Grains.Common;

/// <summary>
/// An alert a grain decided to raise, stored in its state with the change that caused it and delivered after the
/// write; the key names the crossing, so a re-delivery after a crash raises nothing twice.
/// </summary>
public sealed record PendingAlert(string Key, string Kind, string SubjectId, string? FunderId, string? ObligorId, string Detail, DateTimeOffset RaisedAt)
{
    public static async Task DeliverAsync(List<PendingAlert> pending, IAlertStore store)
    {
        foreach (var a in pending.ToList())
        {
            await store.RaiseAsync(new AlertRow(0, a.Key, a.Kind, a.SubjectId, a.FunderId, a.ObligorId, a.Detail, a.RaisedAt));
            pending.Remove(a);
        }
    }
}

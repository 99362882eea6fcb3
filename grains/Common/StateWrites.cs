using Microsoft.Extensions.Logging;
using SupplyChain.Db.Stores;

namespace SupplyChain.Grains.Common;

internal static class StateWrites
{
    /// <summary>
    /// Writes the state, fenced by its ETag. A failed write (a stale activation, a lost connection) leaves
    /// this activation's memory ahead of what is stored, so the activation is dropped and the error surfaces.
    /// </summary>
    public static async Task WriteOrDeactivateAsync<T>(this IPersistentState<T> state, IGrainBase grain)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            grain.DeactivateOnIdle();
            throw;
        }
    }

    /// <summary>The version storage holds for this state (the ADO.NET provider's ETag), 0 before the first write: what fences a read model.</summary>
    public static long StoredVersion<T>(this IPersistentState<T> state) =>
        long.TryParse(state.Etag, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version) ? version : 0;

    /// <summary>
    /// What follows a stored change, or an activation that may come after a crash between the two: the alerts the change
    /// raised, then the read model. Best effort and logged: what fails stays pending and is retried by the next write, the
    /// next activation or the sweep.
    /// </summary>
    public static async Task FollowUpAsync(List<PendingAlert> pending, IAlertStore alerts, Func<Task> project, ILogger logger, string subject)
    {
        try
        {
            await PendingAlert.DeliverAsync(pending, alerts);
            await project();
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "{Subject} could not deliver its alerts or project its read model yet; retried later", subject);
        }
    }
}

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
}

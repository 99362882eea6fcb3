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
}

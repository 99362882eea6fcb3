namespace SupplyChain.Tests.Infrastructure;

public static class Eventually
{
    /// <summary>Polls until the condition holds or the deadline passes; never a fixed sleep.</summary>
    public static async Task True(Func<Task<bool>> condition, TimeSpan? within = null, string? because = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        var delay = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            if (await condition()) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Condition not met in time: {because}");
            await Task.Delay(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 500));
        }
    }

    /// <summary>Polls <paramref name="read"/> until what it reads is <paramref name="done"/>, and returns that reading.</summary>
    public static async Task<T> Value<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan? within = null, string? because = null)
    {
        var last = default(T);
        await True(async () => done(last = await read()), within, because);
        return last!;
    }
}

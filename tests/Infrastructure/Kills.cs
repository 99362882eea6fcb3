using System.Diagnostics;

namespace SupplyChain.Tests.Infrastructure;

/// <summary>Requests a workload has sent and not yet had a definite answer to.</summary>
public sealed class InFlight
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public async Task<T> Track<T>(Func<Task<T>> request)
    {
        Interlocked.Increment(ref _count);
        try
        {
            return await request();
        }
        finally
        {
            Interlocked.Decrement(ref _count);
        }
    }
}

/// <summary>One SIGKILL of a fault test: how many requests were in flight, and those held at the gate if it was aimed.</summary>
public sealed record Kill(int InFlight, IReadOnlyList<DbGate.Held> Held);

/// <summary>The fault schedule of the bank tests.</summary>
public static class Kills
{
    /// <summary>
    /// Kills each silo in turn (SIGKILL) and starts it again, every <c>max(6 s, seconds / 4)</c>, at least twice and
    /// until <paramref name="seconds"/> have passed; then cancels <paramref name="stop"/>, so that every kill lands
    /// while the workload runs, however slow the machine. The first kill is aimed (<see cref="DbGate.KillWhileHeldAsync"/>):
    /// it waits until <paramref name="heldAtLeast"/> requests have stored their effect and not their answer.
    /// </summary>
    public static async Task<IReadOnlyList<Kill>> WhileLoadRuns(
        IReadOnlyList<SiloProcess> silos, int seconds, DbGate gate, int heldAtLeast, InFlight inFlight, CancellationTokenSource stop)
    {
        var kills = new List<Kill>();
        try
        {
            var clock = Stopwatch.StartNew();
            var period = TimeSpan.FromSeconds(Math.Max(6, seconds / 4.0));
            while (kills.Count < 2 || clock.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                await Task.Delay(period, CancellationToken.None);
                var victim = silos[kills.Count % silos.Count];
                var inFlightNow = inFlight.Count;
                if (kills.Count == 0)
                {
                    kills.Add(new Kill(inFlightNow, await gate.KillWhileHeldAsync(victim, heldAtLeast, TimeSpan.FromSeconds(20))));
                }
                else
                {
                    await victim.KillAsync();
                    kills.Add(new Kill(inFlightNow, []));
                }
                await victim.StartAsync();
            }
            return kills;
        }
        finally
        {
            await stop.CancelAsync();
        }
    }

    /// <summary>A line for the test's output: kills, requests in flight at each, and held requests.</summary>
    public static string Describe(IReadOnlyList<Kill> kills) =>
        $"{kills.Count} SIGKILLs with [{string.Join(", ", kills.Select(k => k.InFlight))}] requests in flight, " +
        $"{kills.Sum(k => k.Held.Count)} held at the gate by the aimed kill ({kills.Sum(k => k.Held.Count(h => h.TookEffect))} had taken effect)";
}

/// <summary>The cluster as its membership table sees it.</summary>
public static class Cluster
{
    /// <summary>
    /// Waits until the membership table lists exactly <paramref name="silos"/> active silos: every killed incarnation has
    /// been declared dead. Until then a call routed to a dead incarnation fails after its timeout, so checks made after a
    /// fault run start here.
    /// </summary>
    public static Task QuietAsync(TestDatabase db, int silos) =>
        Eventually.True(async () =>
        {
            await using var connection = db.Open();
            return await Dapper.SqlMapper.ExecuteScalarAsync<int>(connection, "SELECT count(*) FROM orleansmembershiptable WHERE status = 3") == silos;
        }, TimeSpan.FromSeconds(120), $"the membership table lists {silos} active silos and every killed one as dead");
}

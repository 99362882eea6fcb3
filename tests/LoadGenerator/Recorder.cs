using System.Diagnostics;

namespace SupplyChain.LoadGenerator;

/// <summary>
/// One answered call: its latency and when it ended (since the recorder's origin), both in whole Stopwatch ticks,
/// and its status. Integers throughout: the report converts to milliseconds with decimal arithmetic.
/// </summary>
public readonly record struct Sample(long LatencyTicks, int Status, long EndedTicks)
{
    public decimal Milliseconds => LatencyTicks * 1000m / Stopwatch.Frequency;
}

/// <summary>
/// The samples of one client: no locks on the hot path; the report merges every client's recorder. The optional
/// progress counter is shared by all clients and only counts (one interlocked add per call).
/// </summary>
public sealed class Recorder(long origin, Progress? progress = null)
{
    private const int KeptBodiesPerKey = 3;

    public Dictionary<string, List<Sample>> Samples { get; } = new(StringComparer.Ordinal);

    /// <summary>The first few bodies of each (operation, status) that was not 2xx.</summary>
    public Dictionary<(string Operation, int Status), List<string>> ErrorBodies { get; } = new();

    public int Operations { get; private set; }

    public void Record(string operation, long started, long ended, Reply reply)
    {
        Operations++;
        if (!Samples.TryGetValue(operation, out var list)) Samples[operation] = list = new List<Sample>(4096);
        list.Add(new Sample(ended - started, reply.Status, ended - origin));
        progress?.Count(reply.IsSuccess);
        if (reply.IsSuccess) return;
        if (!ErrorBodies.TryGetValue((operation, reply.Status), out var bodies)) ErrorBodies[(operation, reply.Status)] = bodies = [];
        if (bodies.Count < KeptBodiesPerKey) bodies.Add(reply.Body.Length > 600 ? reply.Body[..600] + "…" : reply.Body);
    }
}

using System.Threading.Channels;

namespace SupplyChain.LoadGenerator;

/// <summary>
/// The split workload: every client shares one global FIFO queue of live fragments. A client takes the oldest
/// fragment, splits it into two halves (the first is half rounded down to the fen, the second the rest), and puts
/// both children back at the end of the queue, held by the same supplier. A fragment below 0.02 yuan cannot be
/// halved and is dropped; so is a fragment whose split failed (recorded as an error). With one tree every client
/// works on the same tree; with many the load spreads over them.
/// </summary>
public sealed class SplitWorkflow
{
    public const string Split = "split";

    public static readonly string[] Operations = [Split];

    /// <summary>A client that finds the queue empty this long gives up (every fragment was dropped).</summary>
    private static readonly TimeSpan IdleLimit = TimeSpan.FromSeconds(30);

    private readonly Channel<Fragment> _live = Channel.CreateUnbounded<Fragment>(new UnboundedChannelOptions
    {
        SingleReader = false, SingleWriter = false,
    });

    private int _splits;
    private int _failed;
    private int _tooSmall;

    public SplitWorkflow(IEnumerable<Fragment> roots)
    {
        foreach (var root in roots) _live.Writer.TryWrite(root);
    }

    /// <summary>Splits the system confirmed (2xx), since the start.</summary>
    public int Splits => Volatile.Read(ref _splits);

    /// <summary>Fragments dropped because their split failed.</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Fragments dropped because they were below 0.02 yuan.</summary>
    public int TooSmall => Volatile.Read(ref _tooSmall);

    /// <summary>Live fragments waiting in the queue (those being split right now are not counted).</summary>
    public int Queued => _live.Reader.Count;

    /// <summary>One client: take, split, put the children back, while <paramref name="mayContinue"/> holds.</summary>
    public async Task Client(Recorder recorder, Func<bool> mayContinue, CancellationToken stop)
    {
        while (mayContinue())
        {
            var fragment = await Take(stop);
            if (fragment is null) return;
            if (!mayContinue())
            {
                // Taken while waiting for the deadline: leave it for the next phase (warm-up → measured run).
                _live.Writer.TryWrite(fragment);
                return;
            }
            if (fragment.AmountFen < 2)
            {
                Interlocked.Increment(ref _tooSmall);
                continue;
            }

            var first = fragment.AmountFen / 2;
            var second = fragment.AmountFen - first;
            var reply = await fragment.Holder.Api.Timed(recorder, Split, a => a.Post($"/v1/vouchers/{fragment.Id}/split",
                new { amounts = new[] { Fen.Yuan(first), Fen.Yuan(second) } }));
            if (!reply.IsSuccess)
            {
                Interlocked.Increment(ref _failed);
                continue;
            }
            Interlocked.Increment(ref _splits);
            foreach (var child in reply.Json.GetProperty("children").EnumerateArray())
            {
                _live.Writer.TryWrite(new Fragment(child.GetProperty("id").GetString()!,
                    Fen.Of(child.GetProperty("amount").GetDecimal()), fragment.Holder));
            }
        }
    }

    /// <summary>The oldest live fragment, waiting while others are being split; null when stopped or idle too long.</summary>
    private async Task<Fragment?> Take(CancellationToken stop)
    {
        if (_live.Reader.TryRead(out var ready)) return ready;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(stop);
        idle.CancelAfter(IdleLimit);
        try
        {
            return await _live.Reader.ReadAsync(idle.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}

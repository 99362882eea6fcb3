using SupplyChain.Grains.Vouchers;

namespace SupplyChain.Api.Apis;

/// <summary>
/// Sends the splits, transfers, accepts and rejects of one voucher tree in batches. A tree takes one call at a time and each call waits
/// for its write; while a call to a tree is out, what arrives for that tree waits here and goes, up to
/// <see cref="MaxBatch"/> at a time, in the next call (<see cref="IVoucherTreeGrain.Apply"/>): the tree decides them one
/// after another and persists them in one write, and each request is answered after that write. With one request at a
/// time per tree every call carries one command, as before; nothing waits for a batch to fill.
/// </summary>
public sealed class TreeBatcher(IGrainFactory grains)
{
    /// <summary>The most commands one call carries (a tree's write grows with what the batch changed).</summary>
    public const int MaxBatch = 64;

    private sealed record Waiting(TreeCommand Command, TaskCompletionSource<TreeCommandResult> Answer);

    /// <summary>The trees with a call out, and what waits for each.</summary>
    private readonly Dictionary<string, Queue<Waiting>> _lanes = [];

    public Task<TreeCommandResult> Send(string rootId, TreeCommand command)
    {
        var waiting = new Waiting(command, new TaskCompletionSource<TreeCommandResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        bool lead;
        lock (_lanes)
        {
            lead = !_lanes.TryGetValue(rootId, out var lane);
            if (lead) _lanes[rootId] = lane = new Queue<Waiting>();
            lane!.Enqueue(waiting);
        }
        if (lead) _ = Pump(rootId);
        return waiting.Answer.Task;
    }

    /// <summary>Calls the tree until nothing waits for it; the lane goes once it is empty, under the lock new requests take.</summary>
    private async Task Pump(string rootId)
    {
        var tree = grains.GetGrain<IVoucherTreeGrain>(rootId);
        while (true)
        {
            var batch = new List<Waiting>();
            lock (_lanes)
            {
                var lane = _lanes[rootId];
                if (lane.Count == 0)
                {
                    _lanes.Remove(rootId);
                    return;
                }
                while (batch.Count < MaxBatch && lane.TryDequeue(out var next)) batch.Add(next);
            }
            try
            {
                var results = await tree.Apply(batch.Select(w => w.Command).ToList());
                for (var i = 0; i < batch.Count; i++) batch[i].Answer.TrySetResult(results[i]);
            }
            catch (Exception e)
            {
                foreach (var w in batch) w.Answer.TrySetException(e);
            }
        }
    }
}

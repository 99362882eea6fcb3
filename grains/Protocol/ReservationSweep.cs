namespace SupplyChain.Grains.Facilities;

/// <summary>
/// While a grain holds open reservations, a timer asks the owner of each one that has stayed open longer than
/// the timeout to resolve it (one-way: the asker never waits on the tree). The timer stops when none are open,
/// and starts again on activation or with the next reservation.
/// </summary>
internal sealed class ReservationSweep(IGrainBase grain, TimeSpan timeout, Func<DateTimeOffset> now)
{
    private IGrainTimer? _timer;

    /// <param name="open">The open reservations: item id, owning root id, reserved at.</param>
    /// <param name="ask">Asks the owning tree to resolve one stale reservation.</param>
    public void Ensure(Func<IEnumerable<(string Item, string Root, DateTimeOffset ReservedAt)>> open, Action<string, string> ask)
    {
        if (_timer is not null || !open().Any()) return;
        _timer = grain.RegisterGrainTimer(() =>
        {
            var current = open().ToList();
            var stale = now() - timeout;
            foreach (var (item, root, _) in current.Where(r => r.ReservedAt < stale)) ask(item, root);
            if (current.Count == 0)
            {
                _timer?.Dispose();
                _timer = null;
            }
            return Task.CompletedTask;
        }, new GrainTimerCreationOptions(timeout, timeout) { Interleave = false, KeepAlive = true });
    }
}

namespace SupplyChain.Grains.Protocol;

/// <summary>
/// The holder's side of a reservation that stays open: while a grain holds open reservations, a timer asks the owner
/// of each one open longer than the timeout to resolve it (one-way: the holder never waits on the owner). The owner is
/// the authority: it commits, closes or releases. The timer stops when none are open, and starts again on activation
/// or with the next reservation.
/// </summary>
internal sealed class ReservationSweep(IGrainBase holder, IGrainFactory grains, EntityRef self, TimeSpan timeout, Func<DateTimeOffset> now)
{
    private IGrainTimer? _timer;

    /// <param name="open">The open reservations, read afresh on every tick.</param>
    public void Ensure(Func<IEnumerable<OpenReservation>> open)
    {
        if (_timer is not null || !open().Any()) return;
        _timer = holder.RegisterGrainTimer(() =>
        {
            var current = open().ToList();
            var stale = now() - timeout;
            foreach (var r in current.Where(r => r.ReservedAt < stale))
                grains.Owner(r.Owner).Resolve(self, r.Item).Ignore();
            if (current.Count == 0)
            {
                _timer?.Dispose();
                _timer = null;
            }
            return Task.CompletedTask;
        }, new GrainTimerCreationOptions(timeout, timeout) { Interleave = false, KeepAlive = true });
    }
}

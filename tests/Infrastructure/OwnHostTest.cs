using System.Net;

namespace SupplyChain.Tests.Infrastructure;

/// <summary>
/// A test class with its own database and its own in-process host (so the manual clock and the fake time are its own),
/// started before its tests and disposed after them. <see cref="Restart"/> starts a new host on the same database and time.
/// </summary>
public abstract class OwnHostTest(string owner) : IAsyncLifetime
{
    protected TestDatabase Db { get; } = new(owner);
    protected ApiHost Host { get; private set; } = null!;
    protected Scenario S { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = new ApiHost(Db.ConnectionString);
        await Host.StartAsync();
        S = new Scenario(Host);
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        Db.Dispose();
    }

    protected async Task Restart()
    {
        await Host.StopAsync();
        Host = new ApiHost(Db.ConnectionString, Host.Time);
        await Host.StartAsync();
        S = new Scenario(Host);
    }

    /// <summary>Moves the manual clock by <paramref name="days"/>, and business time by a minute so that events carry increasing times.</summary>
    protected async Task<string> AdvanceDays(int days)
    {
        var today = (await S.Operator.Post("/v1/admin/clock/advance", new { days })).Expect(HttpStatusCode.OK).Json.GetProperty("today").GetString()!;
        Host.Time.Advance(TimeSpan.FromMinutes(1));
        return today;
    }
}

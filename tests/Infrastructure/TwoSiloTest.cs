namespace SupplyChain.Tests.Infrastructure;

/// <summary>A fault test's cluster: two silo processes on the test class's own database, started before its tests.</summary>
public abstract class TwoSiloTest(string owner) : IAsyncLifetime
{
    protected TestDatabase Db { get; } = new(owner);
    protected SiloProcess[] Silos { get; } = new SiloProcess[2];

    public async Task InitializeAsync()
    {
        for (var i = 0; i < Silos.Length; i++)
        {
            Silos[i] = new SiloProcess(Db.ConnectionString);
            await Silos[i].StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in Silos) await silo.DisposeAsync();
        Db.Dispose();
    }
}

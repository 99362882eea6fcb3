namespace SupplyChain.Tests.Infrastructure;

/// <summary>One database and one running silo+API per test class.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public TestDatabase Database { get; } = new("api");

    public ApiHost Host { get; private set; } = null!;

    public Scenario Scenario { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = new ApiHost(Database.ConnectionString);
        await Host.StartAsync();
        Scenario = new Scenario(Host);
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        Database.Dispose();
    }
}

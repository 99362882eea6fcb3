using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Time.Testing;
using SupplyChain.Grains.Common;
using SupplyChain.Silo;

namespace SupplyChain.Tests.Infrastructure;

/// <summary>
/// A real silo with its co-hosted API, in this process, on a test database, listening on a loopback port.
/// Business time comes from a fake TimeProvider; the manual clock is on. It can be stopped and started
/// again on the same database to prove that state survives a restart.
/// </summary>
public sealed class ApiHost : IAsyncDisposable
{
    public const string OperatorKey = "sk_test_operator";

    private readonly string _connectionString;
    private readonly Dictionary<string, string?> _settings;
    private WebApplication? _app;

    public ApiHost(string connectionString, FakeTimeProvider? time = null, IDictionary<string, string?>? settings = null)
    {
        _connectionString = connectionString;
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        _settings = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
    }

    public FakeTimeProvider Time { get; }

    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => _app!.Services;

    public async Task StartAsync()
    {
        var siloPort = Ports.Reserve();
        var gatewayPort = Ports.Reserve();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:SupplyChain"] = _connectionString,
            ["SupplyChain:OperatorKey"] = OperatorKey,
            ["SupplyChain:Clock:Manual"] = "true",
            ["SupplyChain:SiloPort"] = siloPort.ToString(),
            ["SupplyChain:GatewayPort"] = gatewayPort.ToString(),
            ["urls"] = "http://127.0.0.1:0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in _settings) settings[k] = v;
        _app = await SiloHost.BuildAsync([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Services.AddSingleton(new PlatformTime(Time));
        });
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
    }

    public ApiClient Client(string? apiKey = OperatorKey) => new(new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) }, apiKey);

    public async Task StopAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}

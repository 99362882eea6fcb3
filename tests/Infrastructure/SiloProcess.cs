using System.Diagnostics;

namespace SupplyChain.Tests.Infrastructure;

/// <summary>
/// The real silo executable (with its co-hosted API) as a child process on a test database, so that a test
/// can kill it with SIGKILL and start it again on the same ports and database.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly int _httpPort = Ports.Free();
    private readonly int _siloPort = Ports.Free();
    private readonly int _gatewayPort = Ports.Free();
    private readonly Queue<string> _lastLines = new();
    private readonly List<string> _allLines = new();
    private Process? _process;

    private readonly string _executable;

    /// <param name="executable">SupplyChain.Silo (a silo serving the API) or SupplyChain.ClientApi (the API as a cluster client).</param>
    public SiloProcess(string connectionString, string executable = "SupplyChain.Silo")
    {
        _connectionString = connectionString;
        _executable = executable;
    }

    public Uri BaseAddress => new($"http://127.0.0.1:{_httpPort}");

    public string RecentOutput
    {
        get { lock (_lastLines) return string.Join('\n', _lastLines); }
    }

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, _executable))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["ConnectionStrings__SupplyChain"] = _connectionString;
        start.Environment["SupplyChain__OperatorKey"] = ApiHost.OperatorKey;
        start.Environment["SupplyChain__Clock__Manual"] = "true";
        start.Environment["SupplyChain__SiloPort"] = _siloPort.ToString();
        start.Environment["SupplyChain__GatewayPort"] = _gatewayPort.ToString();
        start.Environment["ASPNETCORE_URLS"] = BaseAddress.ToString();
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["SupplyChain__IdempotencyLeaseSeconds"] = "3";
        foreach (var (k, v) in Environment) start.Environment[k] = v;
        _process = Process.Start(start) ?? throw new InvalidOperationException("The silo did not start.");
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.True(async () =>
        {
            if (_process.HasExited) throw new InvalidOperationException("The silo exited at start:\n" + RecentOutput);
            try
            {
                return (await http.GetAsync("/health/ready")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
            catch (TaskCanceledException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(90), $"{_executable} answers /health/ready");
    }

    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>();

    /// <summary>Lines of output that contained a given text, counted since start.</summary>
    public int CountOutput(string text)
    {
        lock (_lastLines) return _allLines.Count(l => l.Contains(text, StringComparison.Ordinal));
    }

    /// <summary>SIGSTOP: the process freezes, its sockets stay open, and the cluster eventually declares it dead.</summary>
    public Task PauseAsync() => Signal("STOP");

    /// <summary>SIGCONT: the frozen process runs on, with whatever it had in memory.</summary>
    public Task ResumeAsync() => Signal("CONT");

    private async Task Signal(string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {_process!.Id}")!;
        await kill.WaitForExitAsync();
    }

    /// <summary>SIGKILL: no graceful shutdown, no flushing, no deactivation.</summary>
    public async Task KillAsync()
    {
        if (_process is null) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    public ApiClient Client(string? apiKey = ApiHost.OperatorKey) =>
        new(new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) }, apiKey);

    public async ValueTask DisposeAsync() => await KillAsync();

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            _allLines.Add(line);
            while (_lastLines.Count > 50) _lastLines.Dequeue();
        }
    }
}

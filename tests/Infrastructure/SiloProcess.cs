using System.Diagnostics;

namespace SupplyChain.Tests.Infrastructure;

/// <summary>
/// The real silo executable (with its co-hosted API) as a child process on a test database, so that a test
/// can kill it with SIGKILL and start it again on the same ports and database. Its ports come from the reserved
/// range (<see cref="Ports"/>), so nothing takes them while it is down. Its whole output, across restarts, is written
/// as it arrives to <see cref="LogPath"/> (under artifacts/silo-logs), which failure messages name.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly int _httpPort = Ports.Reserve();
    private readonly int _siloPort = Ports.Reserve();
    private readonly int _gatewayPort = Ports.Reserve();
    private StreamWriter? _log;
    private int _starts;
    private readonly Queue<string> _lastLines = new();
    private readonly List<string> _allLines = new();
    private Process? _process;

    private readonly string _executable;

    /// <param name="executable">SupplyChain.Silo (a silo serving the API) or SupplyChain.ClientApi (the API as a cluster client).</param>
    public SiloProcess(string connectionString, string executable = "SupplyChain.Silo")
    {
        _connectionString = connectionString;
        _executable = executable;
        LogPath = Path.Combine(
            System.Environment.GetEnvironmentVariable("SUPPLYCHAIN_TEST_ARTIFACTS") ?? Path.Combine(AppContext.BaseDirectory, "artifacts"),
            "silo-logs", $"{Database[..Math.Min(Database.Length, 28)]}-{_executable}-{_httpPort}.log");
    }

    public Uri BaseAddress => new($"http://127.0.0.1:{_httpPort}");

    /// <summary>
    /// The process's whole output across its restarts. The folder is $SUPPLYCHAIN_TEST_ARTIFACTS (./test.sh sets it to
    /// the repository's artifacts/), else artifacts/ beside the test assembly.
    /// </summary>
    public string LogPath { get; }

    /// <summary>The test's database and the executable: which test, which process.</summary>
    private string LogName => $"{Database}-{_executable}";

    private string Database => new Npgsql.NpgsqlConnectionStringBuilder(_connectionString).Database ?? "nodb";

    public string RecentOutput
    {
        get { lock (_lastLines) return string.Join('\n', _lastLines); }
    }

    public async Task StartAsync()
    {
        lock (_lastLines)
        {
            if (_log is null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(LogPath)!);
                _log = new StreamWriter(LogPath, append: true) { AutoFlush = true };
            }
            _log.WriteLine($"=== {LogName} start {++_starts} at {DateTime.UtcNow:O}: http {_httpPort}, silo {_siloPort}, gateway {_gatewayPort} ===");
            _lastLines.Clear();
        }
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
        start.Environment["SupplyChain__VerifyChangeStamps"] = "true";
        foreach (var (k, v) in Environment) start.Environment[k] = v;
        _process = Process.Start(start) ?? throw new InvalidOperationException("The silo did not start.");
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.True(async () =>
        {
            if (_process.HasExited)
            {
                _process.WaitForExit(); // it has exited: this waits only for its redirected output to be read to the end
                throw new InvalidOperationException(
                $"{_executable} exited at start (code {_process.ExitCode}); whole log: {LogPath}\n" + RecentOutput);
            }
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
        }, TimeSpan.FromSeconds(90), $"{_executable} answers /health/ready (log: {LogPath})");
    }

    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>();

    /// <summary>Lines of output that contained a given text, counted since start.</summary>
    /// <summary>The first line of output since the first start that contains a given text, or null.</summary>
    public string? FirstOutput(string text)
    {
        lock (_lastLines) return _allLines.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
    }

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
        lock (_lastLines) _log?.WriteLine($"=== SIGKILL at {DateTime.UtcNow:O} ===");
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    public ApiClient Client(string? apiKey = ApiHost.OperatorKey) =>
        new(new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) }, apiKey);

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        lock (_lastLines)
        {
            _log?.Dispose();
            _log = null;
        }
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            _allLines.Add(line);
            _log?.WriteLine(line);
            while (_lastLines.Count > 50) _lastLines.Dequeue();
        }
    }
}

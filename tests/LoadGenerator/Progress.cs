using System.Diagnostics;
using System.Globalization;

namespace SupplyChain.LoadGenerator;

/// <summary>
/// A one-line progress report on stderr every 2 s of the measured run, e.g.
/// <c>  progress  8s  split 3,512 ops  439 ops/s  errors 0</c>. On a terminal the line is rewritten in place
/// (carriage return); when the output goes to a file or a pipe, each report is a line of its own.
/// </summary>
public sealed class Progress(string label, long origin)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    /// <summary>Rewrite in place only when both streams are a terminal: a log never gets carriage returns.</summary>
    private static readonly bool InPlace = !Console.IsOutputRedirected && !Console.IsErrorRedirected;

    private long _operations;
    private long _errors;
    private bool _printed;

    public void Count(bool success)
    {
        Interlocked.Increment(ref _operations);
        if (!success) Interlocked.Increment(ref _errors);
    }

    /// <summary>Reports every 2 s until <paramref name="stop"/> is cancelled, then ends the in-place line.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop)) Print();
        }
        catch (OperationCanceledException)
        {
            // The measured run is over.
        }
        if (InPlace && _printed) Console.Error.WriteLine();
    }

    private void Print()
    {
        var elapsed = Stopwatch.GetElapsedTime(origin);
        var operations = Interlocked.Read(ref _operations);
        var seconds = elapsed.Ticks / (decimal)TimeSpan.TicksPerSecond;
        var rate = seconds > 0 ? operations / seconds : 0m;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"  progress {decimal.Round(seconds),2}s  {label} {operations:N0} ops  {rate:F0} ops/s  errors {Interlocked.Read(ref _errors):N0}");
        if (InPlace) Console.Error.Write($"\r{line,-72}");
        else Console.Error.WriteLine(line);
        _printed = true;
    }
}

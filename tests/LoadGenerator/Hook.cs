using System.Diagnostics;

namespace SupplyChain.LoadGenerator;

/// <summary>
/// The <c>--hook</c> command, run through <c>/bin/sh -c</c> with "start" right before the measured run and "stop"
/// right after it, and waited for: a benchmark script samples the server (commits, CPU, memory) around exactly the
/// measured window, with setup and warm-up outside it. It inherits stdout and stderr; a failure is only reported.
/// </summary>
public static class Hook
{
    public static async Task Run(string? command, string phase)
    {
        if (command is null) return;
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"{command} {phase}");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start /bin/sh.");
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) Console.Error.WriteLine($"warning: hook '{command} {phase}' exited with {process.ExitCode}");
    }
}

using System.Net;
using System.Net.Sockets;

namespace SupplyChain.Tests.Infrastructure;

/// <summary>
/// Ports for listeners that tests start, stop and start again on the same port (a silo killed and restarted).
/// They come from a range just below the kernel's ephemeral range, so no outgoing connection of this or any other
/// process can be given one of them while its silo is down (a port from the ephemeral range, as binding to port 0
/// gives, can be: then the restarted silo cannot listen). Each port is handed out once per test run, and only if
/// it can be bound at that moment (another listener on the machine may hold it).
/// </summary>
public static class Ports
{
    private const int RangeSize = 8000;
    private static readonly object Gate = new();
    private static readonly (int Low, int High) Range = ReservedRange();
    private static int _next = Range.Low + (Environment.ProcessId * 97 % (RangeSize / 2));

    /// <summary>A port below the ephemeral range that was free a moment ago on the loopback interface and is not handed out twice.</summary>
    public static int Reserve()
    {
        lock (Gate)
        {
            for (var tries = 0; tries < RangeSize; tries++)
            {
                var port = _next;
                _next = _next + 1 >= Range.High ? Range.Low : _next + 1;
                if (CanBind(port)) return port;
            }
        }
        throw new InvalidOperationException($"No free port in {Range.Low}-{Range.High - 1}.");
    }

    private static bool CanBind(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>[low, high): the <see cref="RangeSize"/> ports below the ephemeral range (Linux: ip_local_port_range).</summary>
    private static (int, int) ReservedRange()
    {
        var ephemeralLow = 32768;
        const string file = "/proc/sys/net/ipv4/ip_local_port_range";
        if (File.Exists(file) && int.TryParse(File.ReadAllText(file).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0], out var low))
            ephemeralLow = low;
        var high = Math.Max(ephemeralLow, 1024 + RangeSize);
        return (high - RangeSize, high);
    }
}

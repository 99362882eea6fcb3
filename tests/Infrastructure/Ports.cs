using System.Net;
using System.Net.Sockets;

namespace SupplyChain.Tests.Infrastructure;

public static class Ports
{
    /// <summary>A TCP port that was free a moment ago on the loopback interface.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

using System.Globalization;
using System.Net;

namespace SupplyChain.LoadGenerator;

/// <summary>Command-line options. The run is always bounded: by duration, by operations per client, or both.</summary>
public sealed record Options(Uri BaseUrl, string OperatorKey, int Clients, int Cores, int? Seconds, int? OpsPerClient,
    int WarmupWorkflows, decimal VoucherAmount, bool Lending)
{
    public const string Usage = """
        SupplyChain.LoadGenerator [--url http://127.0.0.1:5080] [--key OPERATOR_KEY] [--clients N]
                                  [--seconds S] [--ops M] [--cores K] [--warmup W] [--amount A] [--workflow vouchers|lending]
          --url      base URL of a running silo or client-api; loopback addresses only (default http://127.0.0.1:5080)
          --key      operator API key (default: environment variable SupplyChain__OperatorKey)
          --clients  concurrent clients, each running the voucher workflow in a loop (default 16)
          --seconds  measured duration in seconds (default 20 when --ops is not given)
          --ops      HTTP operations per client; the client stops once it has made that many
          --cores    core enterprises shared round-robin by the clients (default: one per client)
          --warmup   unmeasured workflows per client before the measured run (default 1)
          --amount   face amount of each issued voucher (lending: of each order) in yuan (default 10000)
          --workflow vouchers: issue, accept, split, transfer, accept, discount (default);
                     lending: place an order, borrow 70% against it, pay the order with a voucher (the closed loop)
        """;

    public static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Unexpected argument '{args[i]}'.");
            values[args[i][2..]] = args[++i];
        }
        string? Take(string name) => values.Remove(name, out var v) ? v : null;

        var url = new Uri(Take("url") ?? "http://127.0.0.1:5080", UriKind.Absolute);
        var key = Take("key") ?? Environment.GetEnvironmentVariable("SupplyChain__OperatorKey");
        var clients = Int(Take("clients"), "clients", 16, 1, 1024);
        var cores = Int(Take("cores"), "cores", clients, 1, clients);
        var seconds = Take("seconds") is { } s ? Int(s, "seconds", 0, 1, 86_400) : (int?)null;
        var ops = Take("ops") is { } o ? Int(o, "ops", 0, 1, int.MaxValue) : (int?)null;
        var warmup = Int(Take("warmup"), "warmup", 1, 0, 1000);
        var amount = Take("amount") is { } a ? Amount(a) : 10_000m;
        var workflow = Take("workflow") ?? "vouchers";
        if (workflow is not ("vouchers" or "lending")) throw new ArgumentException("--workflow must be vouchers or lending.");
        if (values.Count > 0) throw new ArgumentException($"Unknown option --{values.Keys.First()}.");
        if (string.IsNullOrWhiteSpace(key)) throw new ArgumentException("No operator key: pass --key or set SupplyChain__OperatorKey.");
        if (url.Scheme is not ("http" or "https")) throw new ArgumentException("--url must be http or https.");
        if (!IsLoopback(url)) throw new ArgumentException($"Refusing to load {url.Host}: only loopback addresses are allowed.");
        if (decimal.Round(amount, 2) != amount || amount < 1m) throw new ArgumentException("--amount must be at least 1 with at most 2 decimals.");
        if (seconds is null && ops is null) seconds = 20;
        return new Options(url, key, clients, cores, seconds, ops, warmup, amount, workflow == "lending");
    }

    /// <summary>Only literal loopback addresses and the name localhost: the generator never reaches another machine.</summary>
    private static bool IsLoopback(Uri url) =>
        url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6
            ? IPAddress.Parse(url.Host.Trim('[', ']')) is var ip && IPAddress.IsLoopback(ip)
            : string.Equals(url.Host, "localhost", StringComparison.OrdinalIgnoreCase);

    private static int Int(string? value, string name, int fallback, int min, int max)
    {
        if (value is null) return fallback;
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
            throw new ArgumentException($"--{name} must be a whole number between {min} and {max}.");
        return n;
    }

    /// <summary>Money is parsed as a decimal, exact to the fen, never as binary floating point.</summary>
    private static decimal Amount(string value) =>
        decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d) && d > 0 && d <= 1_000_000_000_000m
            ? d
            : throw new ArgumentException("--amount must be a positive number of yuan.");
}

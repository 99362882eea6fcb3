using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace SupplyChain.Api.Http;

/// <summary>What a newcomer sees first: the start banner on the console and the page at <c>/</c>.</summary>
public static class Home
{
    /// <summary>The process's pages, in the order the banner and <c>/</c> list them.</summary>
    private static IEnumerable<(string Name, string Path, string Note)> Pages(bool dashboard)
    {
        yield return ("Risk console", "/console", "exposures, groups, pools, alerts and the stress test; sign in with a risk-staff or operator key");
        yield return ("API page", "/docs", "every endpoint, with its schema; try it from the page with an API key");
        yield return ("OpenAPI", "/openapi/v1.json", "the machine-readable contract");
        if (dashboard) yield return ("Dashboard", "/dashboard", "Orleans grains and silos; the operator key is its password");
        yield return ("Health", "/health/ready", "200 once the cluster and the database answer");
    }

    public static WebApplication MapHome(this WebApplication app, string role, bool dashboard)
    {
        app.MapGet("/", () => Results.Content(Page(role, dashboard), "text/html; charset=utf-8")).ExcludeFromDescription();
        return app;
    }

    private static string Page(string role, bool dashboard)
    {
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Supply-chain finance</title>")
            .Append("<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44em;margin:3em auto;padding:0 1em}code{background:#f3f3f3;padding:0 .2em}</style>")
            .Append("</head><body><h1>Supply-chain finance</h1>")
            .Append("<p>This is a ").Append(role).Append(" serving the platform's HTTP API under <code>/v1</code>. ")
            .Append("Every call carries <code>Authorization: Bearer &lt;apiKey&gt;</code>; the operator's key was printed at start ")
            .Append("(or set with <code>SupplyChain__OperatorKey</code>), and the operator creates participants, each with its own key.</p><ul>");
        foreach (var (name, path, note) in Pages(dashboard))
            html.Append("<li><a href=\"").Append(path).Append("\">").Append(name).Append("</a>: ").Append(note).Append("</li>");
        html.Append("</ul></body></html>");
        return html.ToString();
    }

    /// <summary>
    /// Prints, once the process listens and as its last start-up output, a framed summary: where it listens, the
    /// operator key when this process generated it, where its pages are, and where its state lives.
    /// </summary>
    public static void PrintBannerWhenStarted(this WebApplication app, string role, bool dashboard, string state)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
            var options = app.Services.GetRequiredService<IOptions<ApiOptions>>().Value;
            var first = addresses.FirstOrDefault() ?? "";
            var lines = new List<string> { $"Supply-chain finance {role} is ready.", "" };
            lines.AddRange(addresses.Select(a => $"Listening on   {a}   (API under /v1)"));
            lines.AddRange(Pages(dashboard).Select(p => $"{p.Name,-14} {first}{p.Path}"));
            lines.Add($"State          {state}");
            if (options.OperatorKeyGenerated)
            {
                lines.Add("");
                lines.Add($"Operator key   {options.OperatorKey}");
                lines.Add("               (generated for this run; set SupplyChain__OperatorKey to keep one)");
            }
            lines.Add("");
            lines.Add("Next: the README's walk-through creates participants and moves a voucher with curl.");
            Console.Out.Write(Frame(lines));
            Console.Out.Flush();
        });
    }

    private static string Frame(IReadOnlyList<string> lines)
    {
        var width = lines.Max(l => l.Length) + 2;
        var text = new StringBuilder();
        text.AppendLine().Append('╔').Append('═', width).AppendLine("╗");
        foreach (var line in lines) text.Append("║ ").Append(line.PadRight(width - 1)).AppendLine("║");
        text.Append('╚').Append('═', width).AppendLine("╝");
        return text.ToString();
    }
}

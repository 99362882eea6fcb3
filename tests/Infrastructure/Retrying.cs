using System.Diagnostics;
using System.Net;

namespace SupplyChain.Tests.Infrastructure;

/// <summary>How the fault tests' clients talk to a cluster whose processes die: retry with the same key until a definite answer.</summary>
public static class Retrying
{
    /// <summary>
    /// Sends one request until it gets a definite answer (below 500, and not "key in flight"), to a random process of
    /// <paramref name="silos"/> each time, always with the same Idempotency-Key.
    /// </summary>
    /// <param name="failed">Told of every attempt that got no definite answer (the process died under it, a 5xx, or the key in flight).</param>
    public static async Task<ApiResult> Definitely(IReadOnlyList<SiloProcess> silos, string? apiKey, string path, object? body, string key, Random random,
        Action? failed = null)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var silo = silos[random.Next(silos.Count)];
            var answer = await Try(() => silo.Client(apiKey).Post(path, body, key));
            if (answer is not null && (int)answer.Status < 500 && !(answer.Status == HttpStatusCode.Conflict && answer.Code == "idempotency_key_in_flight"))
                return answer;
            failed?.Invoke();
            if (deadline.Elapsed > TimeSpan.FromSeconds(180)) throw new TimeoutException($"No definite answer to {path} in 180 s");
            await Task.Delay(TimeSpan.FromMilliseconds(100 + random.Next(200)), CancellationToken.None);
        }
    }

    /// <summary>One call; null when no answer came (the process died under it, or refused the connection).</summary>
    public static async Task<ApiResult?> Try(Func<Task<ApiResult>> call)
    {
        try
        {
            return await call();
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException)
        {
            return null;
        }
    }
}

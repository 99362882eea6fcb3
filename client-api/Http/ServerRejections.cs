using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace SupplyChain.Api.Http;

/// <summary>
/// Kestrel refuses some requests before any middleware sees them (a NUL or control character in the path, a malformed
/// request line, headers too large, a URL too long) and answers them itself: a status line, <c>Content-Length: 0</c>,
/// <c>Connection: close</c>, no body. This connection middleware recognises exactly that answer as Kestrel writes it and
/// gives it a problem document, so that every 4xx a client gets can be read the same way.
/// <para>
/// Only a complete header block of a 4xx with <c>Content-Length: 0</c> is rewritten: the application never answers
/// that (every answer of the API carries a body), so no response of the application is touched. Every other write
/// passes through unchanged, with a ten-byte comparison.
/// </para>
/// </summary>
public static class ServerRejections
{
    public static void UseProblemsForServerRejections(this WebApplicationBuilder builder) =>
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen =>
            listen.Use(next => connection =>
            {
                connection.Transport = new Pipe(connection.Transport);
                return next(connection);
            })));

    private static readonly byte[] StatusPrefix = "HTTP/1.1 4"u8.ToArray();
    private static readonly byte[] EmptyBody = "\r\nContent-Length: 0\r\n"u8.ToArray();
    private static readonly byte[] HeadersEnd = "\r\n\r\n"u8.ToArray();

    /// <summary>The Kestrel answer rewritten as a problem, or null when <paramref name="written"/> is anything else.</summary>
    internal static byte[]? Rewrite(ReadOnlySpan<byte> written)
    {
        if (!written.StartsWith(StatusPrefix) || !written.EndsWith(HeadersEnd)) return null;
        var at = written.IndexOf(EmptyBody);
        if (at < 0) return null;
        var lineEnd = written.IndexOf("\r\n"u8);
        if (lineEnd < 12 || !int.TryParse(written.Slice(9, 3), out var status)) return null;

        var detail = status switch
        {
            414 => "The URL is longer than the server accepts.",
            431 => "The request's headers are larger than the server accepts.",
            408 => "The request did not arrive in time.",
            413 => "The request body is larger than the server accepts.",
            _ => "The request is not valid HTTP (for example a NUL or control character in the path, or a malformed request line or header).",
        };
        var body = ApiResponse.Titled(status, SupplyChain.Grains.Common.FaultCodes.RequestRejected, detail).Body;
        var head = Encoding.ASCII.GetString(written[..at]);
        var tail = Encoding.ASCII.GetString(written[(at + EmptyBody.Length)..]);
        var rewritten = $"{head}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: {body.Length}\r\n{tail}";
        return [.. Encoding.ASCII.GetBytes(rewritten), .. body];
    }

    /// <summary>The connection's transport, with its output watched for Kestrel's own answers.</summary>
    private sealed class Pipe(IDuplexPipe inner) : IDuplexPipe
    {
        public PipeReader Input { get; } = inner.Input;

        public PipeWriter Output { get; } = new Writer(inner.Output);
    }

    private sealed class Writer(PipeWriter inner) : PipeWriter
    {
        private Memory<byte> _last;

        public override Memory<byte> GetMemory(int sizeHint = 0) => _last = inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public override void Advance(int bytes)
        {
            var written = bytes <= _last.Length ? _last.Span[..bytes] : default;
            if (written.Length >= StatusPrefix.Length && written[9] == (byte)'4' && Rewrite(written) is { } problem)
            {
                inner.Advance(0);
                inner.Write(problem);
                return;
            }
            inner.Advance(bytes);
        }

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            if (source.Length >= StatusPrefix.Length && source.Span[9] == (byte)'4' && Rewrite(source.Span) is { } problem)
                return inner.WriteAsync(problem, cancellationToken);
            return inner.WriteAsync(source, cancellationToken);
        }
    }
}

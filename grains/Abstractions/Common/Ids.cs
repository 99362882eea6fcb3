using System.Security.Cryptography;
using System.Text;

namespace SupplyChain.Grains.Common;

/// <summary>
/// Identifier scheme. Ids that must be the same on a retry are derived from the operation id;
/// a fragment id carries its root id (<c>vc…-7</c>), so a fragment is routed to its tree without a lookup.
/// </summary>
public static class Ids
{
    private const string Alphabet = "abcdefghijkmnpqrstuvwxyz23456789";

    /// <summary>The operation id of a request: a function of the caller and its Idempotency-Key.</summary>
    public static string Operation(string callerId, string idempotencyKey) => Derive("operation", callerId + "\n" + idempotencyKey);

    public static string Participant(string operationId) => "pt" + Derive("participant", operationId);

    public static string RiskStaff(string operationId) => "rs" + Derive("risk-staff", operationId);

    public static string Facility(string funderId, string obligorId) => "fa" + Derive("facility", funderId + "|" + obligorId);

    public static string VoucherRoot(string operationId) => "vc" + Derive("voucher", operationId);

    public static string Fragment(string rootId, int sequence) => $"{rootId}-{sequence}";

    public static string Order(string operationId) => "or" + Derive("order", operationId);

    public static string Loan(string operationId) => "ln" + Derive("loan", operationId);

    public static string Group(string operationId) => "gg" + Derive("group", operationId);

    public static bool IsOrder(string id) => IsDerived(id, "or");

    public static bool IsGroup(string id) => IsDerived(id, "gg");

    public static string Pool(string operationId) => "rp" + Derive("pool", operationId);

    public static bool IsPool(string id) => IsDerived(id, "rp");

    public static bool IsLoan(string id) => IsDerived(id, "ln");

    public static string Policy(string operationId) => "cp" + Derive("policy", operationId);

    /// <summary>
    /// A funder's credit line on a supplier: one per pair, <c>cl-{supplierId}-{funderId}</c>, so that a line is routed
    /// to its supplier's credit grain without a lookup.
    /// </summary>
    public static string CreditLine(string supplierId, string funderId) => $"cl-{supplierId}-{funderId}";

    /// <summary>The supplier whose credit grain holds the line, or null when the id cannot be a line's.</summary>
    public static string? SupplierOfLine(string lineId)
    {
        if (lineId.Length != 48 || !lineId.StartsWith("cl-", StringComparison.Ordinal) || lineId[25] != '-') return null;
        var supplier = lineId.Substring(3, 22);
        return IsDerived(supplier, "pt") && IsDerived(lineId[26..], "pt") ? supplier : null;
    }

    public static bool IsParticipant(string id) => IsDerived(id, "pt");

    /// <summary>
    /// Whether a string can be an id at all: 1 to 64 characters, each a lower-case letter, a digit or '-'. Every id
    /// the platform makes has that shape, so anything else (empty, blank, control or odd Unicode characters) names
    /// nothing and is refused at the edge before it reaches a grain key or a query.
    /// </summary>
    public static bool IsWellFormed(string? id)
    {
        if (id is null || id.Length is 0 or > 64) return false;
        foreach (var c in id)
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')) return false;
        return true;
    }

    /// <summary>A prefix and 20 characters of the id alphabet: anything else cannot name an object of that kind.</summary>
    private static bool IsDerived(string id, string prefix)
    {
        if (id.Length != 22 || !id.StartsWith(prefix, StringComparison.Ordinal)) return false;
        foreach (var c in id.AsSpan(2))
            if (!Alphabet.Contains(c)) return false;
        return true;
    }

    /// <summary>The root id a voucher or fragment id belongs to, or null when the id cannot be a voucher's.</summary>
    public static string? RootOf(string voucherId)
    {
        if (voucherId.Length < 22 || !voucherId.StartsWith("vc", StringComparison.Ordinal)) return null;
        var dash = voucherId.IndexOf('-');
        var root = dash < 0 ? voucherId : voucherId[..dash];
        if (root.Length != 22) return null;
        if (dash >= 0 && !int.TryParse(voucherId.AsSpan(dash + 1), System.Globalization.NumberStyles.None, null, out _)) return null;
        foreach (var c in root.AsSpan(2))
            if (!Alphabet.Contains(c)) return null;
        return root;
    }

    /// <summary>A 20-character id, a pure function of its inputs (so a retried operation creates the same object).</summary>
    public static string Derive(string purpose, string input)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(purpose + "\n" + input));
        var chars = new char[20];
        for (var i = 0; i < chars.Length; i++) chars[i] = Alphabet[hash[i] & 31];
        return new string(chars);
    }
}

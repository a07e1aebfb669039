using System.Buffers;
using System.Globalization;
using System.Text;

namespace MCProxy.Aggregation;

/// <summary>
/// Downstream pagination of merged lists. Lists up to <see cref="PageSize"/> items go out whole (no nextCursor);
/// longer ones in pages whose opaque cursor is the next offset. A stale cursor (the list changed meanwhile) just
/// continues from that offset, as the spec allows.
/// </summary>
internal static class ListPage
{
    public const int PageSize = 500;

    /// <summary>The result object for one page: <c>{"&lt;array&gt;":[…],"nextCursor":"…"}</c>.</summary>
    public static byte[] Write(string arrayName, IReadOnlyList<byte[]> items, int start, int count, string? nextCursor)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + items.Skip(start).Take(count).Sum(i => i.Length + 1));
        buffer.Write("{\""u8);
        buffer.Write(Encoding.UTF8.GetBytes(arrayName));
        buffer.Write("\":["u8);
        for (var i = start; i < start + count; i++)
        {
            if (i > start)
            {
                buffer.Write(","u8);
            }
            buffer.Write(items[i]);
        }
        buffer.Write("]"u8);
        if (nextCursor is not null)
        {
            buffer.Write(",\"nextCursor\":\""u8);
            buffer.Write(Encoding.UTF8.GetBytes(nextCursor));
            buffer.Write("\""u8);
        }
        buffer.Write("}"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The page a request's cursor asks for; null when the cursor is not one of ours.</summary>
    public static byte[]? Page(string arrayName, IReadOnlyList<byte[]> items, byte[] whole, string? cursor)
    {
        var start = 0;
        if (!string.IsNullOrEmpty(cursor))
        {
            if (!TryDecode(cursor, out start))
            {
                return null;
            }
        }
        else if (items.Count <= PageSize)
        {
            return whole;
        }
        start = Math.Min(start, items.Count);
        var count = Math.Min(PageSize, items.Count - start);
        var next = start + count < items.Count ? Encode(start + count) : null;
        return Write(arrayName, items, start, count, next);
    }

    private static string Encode(int offset) => Convert.ToBase64String(Encoding.ASCII.GetBytes("o:" + offset.ToString(CultureInfo.InvariantCulture)));

    private static bool TryDecode(string cursor, out int offset)
    {
        offset = 0;
        try
        {
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(cursor));
            return text.StartsWith("o:", StringComparison.Ordinal) &&
                   int.TryParse(text.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out offset);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

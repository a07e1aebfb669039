using System.Text;
using System.Text.Json;

namespace MCProxy.Cli;

/// <summary>
/// <c>mcproxy call TOOL [JSON]</c>: one <c>tools/call</c> through the running gateway (the admin socket, as the
/// identity <c>admin</c>), with the tool's exposed name (<c>server__tool</c>). Prints the text content; exits 1 on
/// an error result. JSON <c>-</c> reads the arguments from standard input.
/// </summary>
internal static class CallCommand
{
    public static async Task<int> RunAsync(CliContext cli, string tool, string? arguments, TextReader input, CancellationToken ct)
    {
        var json = arguments == "-" ? await input.ReadToEndAsync(ct).ConfigureAwait(false) : arguments ?? "{}";
        try
        {
            using var parsed = JsonDocument.Parse(json);
            if (parsed.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new JsonException();
            }
        }
        catch (JsonException)
        {
            throw new CliException($"the arguments must be one JSON object, e.g. mcproxy call {tool} '{{\"path\": \"/tmp\"}}'", 2);
        }
        using var admin = cli.Admin(Timeout.InfiniteTimeSpan);
        var (code, body) = await admin.PostAsync($"/admin/call/{Uri.EscapeDataString(tool)}", Encoding.UTF8.GetBytes(json), ct).ConfigureAwait(false);
        using (body)
        {
            var root = body.RootElement;
            if (code != 200 || !root.TryGetProperty("result"u8, out var result))
            {
                if (cli.Json)
                {
                    cli.WriteJson(root);
                }
                var message = AdminClient.ErrorText(root) ?? $"the gateway answered {code}";
                throw new CliException(message.StartsWith("Unknown tool", StringComparison.Ordinal)
                    ? $"unknown tool '{tool}': give the exposed name, SERVER__TOOL (mcproxy status lists the servers and their tool counts)"
                    : message);
            }
            var isError = result.TryGetProperty("isError"u8, out var e) && e.ValueKind == JsonValueKind.True;
            if (cli.Json)
            {
                cli.WriteJson(result);
                return isError ? 1 : 0;
            }
            var printed = false;
            if (result.TryGetProperty("content"u8, out var content) && content.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in content.EnumerateArray())
                {
                    var text = item.TryGetProperty("type"u8, out var type) && type.GetString() == "text" && item.TryGetProperty("text"u8, out var t)
                        ? t.GetString() : item.GetRawText();
                    (isError ? cli.Error : cli.Out).WriteLine(text);
                    printed = true;
                }
            }
            if (!printed)
            {
                cli.WriteJson(result);
            }
            return isError ? 1 : 0;
        }
    }
}

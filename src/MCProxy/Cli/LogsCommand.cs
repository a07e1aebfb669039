namespace MCProxy.Cli;

/// <summary>
/// <c>mcproxy logs [NAME] [-f]</c>: the last stderr lines of one server or all, from the daemon's in-memory ring per
/// server (redacted as /health shows them); <c>-f</c> follows until Ctrl-C or the daemon stops.
/// </summary>
internal static class LogsCommand
{
    public static async Task<int> RunAsync(CliContext cli, string? name, bool follow, CancellationToken ct)
    {
        using var admin = cli.Admin();
        var query = $"/admin/logs?follow={(follow ? "true" : "false")}" + (name is null ? "" : $"&server={Uri.EscapeDataString(name)}");
        try
        {
            await foreach (var document in admin.StreamAsync(query, ct).ConfigureAwait(false))
            {
                using (document)
                {
                    var line = document.RootElement;
                    if (cli.Json)
                    {
                        cli.Out.WriteLine(line.GetRawText());
                        continue;
                    }
                    var server = line.GetProperty("server"u8).GetString();
                    var prefix = name is null ? $"[{server}] " : "";
                    cli.Out.WriteLine(line.TryGetProperty("missed"u8, out var missed)
                        ? $"{prefix}… {missed.GetInt64()} lines missed (the ring keeps the last few; mcproxy logs -f reads as they come)"
                        : prefix + line.GetProperty("line"u8).GetString());
                }
                if (follow)
                {
                    await cli.Out.FlushAsync(ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return 0; // Ctrl-C ends a follow
        }
        catch (HttpRequestException ex) when (follow)
        {
            throw new CliException($"the gateway ended the stream ({ex.Message}): it stopped or restarted; mcproxy status");
        }
        return 0;
    }
}

using System.Diagnostics;
using System.Text;

namespace MCProxy.FunctionalTests.Infrastructure;

/// <summary>The gateway binary run as the CLI (<c>mcproxy status</c>, …): its exit code, stdout and stderr.</summary>
internal static class CliProcess
{
    public sealed record Result(int ExitCode, string Out, string Err)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}--- stderr\n{Err}";
    }

    public static async Task<Result> RunAsync(params string[] args)
    {
        using var process = Process.Start(Start(args))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return new Result(process.ExitCode, await output, await error);
    }

    /// <summary>A long-running verb (<c>logs -f</c>): lines as they arrive; the caller stops it.</summary>
    public static Process StartFollowing(StringBuilder lines, params string[] args)
    {
        var process = Process.Start(Start(args))!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (lines)
                {
                    lines.AppendLine(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        return process;
    }

    private static ProcessStartInfo Start(string[] args)
    {
        var (file, prefix) = TestServerPaths.GatewayCommand;
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in prefix.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }
        return start;
    }
}

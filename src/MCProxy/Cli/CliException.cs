namespace MCProxy.Cli;

/// <summary>A verb failed: <see cref="Exception.Message"/> is the one line printed, naming the fix.</summary>
internal sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

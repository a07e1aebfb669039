namespace MCProxy.Configuration;

/// <summary>A config edit that cannot be made (no such server, a name taken, a file that is not JSON); the message names the fix.</summary>
internal sealed class ConfigEditException(string message) : Exception(message);

namespace MCProxy.Aggregation;

/// <summary>The separator between server and tool in exposed names (default "__").</summary>
internal sealed record GatewaySeparator(string Value)
{
    public const string Default = Configuration.GatewayOptions.DefaultSeparator;
}

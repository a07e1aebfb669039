using System.Text;

namespace MCProxy.Protocol;

/// <summary>The four catalogue lists of MCP: the list method, the result's array, and the member that keys each item.</summary>
internal sealed class ListKind
{
    public static readonly ListKind Tools = new("tools/list", "tools", "name", "notifications/tools/list_changed", "tools");
    public static readonly ListKind Prompts = new("prompts/list", "prompts", "name", "notifications/prompts/list_changed", "prompts");
    public static readonly ListKind Resources = new("resources/list", "resources", "uri", "notifications/resources/list_changed", "resources");
    public static readonly ListKind Templates = new("resources/templates/list", "resourceTemplates", "uriTemplate", "notifications/resources/list_changed", "resources");

    public static readonly IReadOnlyList<ListKind> All = [Tools, Prompts, Resources, Templates];

    private ListKind(string method, string array, string key, string changedNotification, string capability)
    {
        Method = method;
        Array = array;
        Key = key;
        ChangedNotification = changedNotification;
        Capability = capability;
        ArrayUtf8 = Encoding.UTF8.GetBytes(array);
        KeyUtf8 = Encoding.UTF8.GetBytes(key);
        CapabilityUtf8 = Encoding.UTF8.GetBytes(capability);
    }

    public string Method { get; }
    public string Array { get; }
    public string Key { get; }
    public string ChangedNotification { get; }
    /// <summary>The server capability that says the list exists.</summary>
    public string Capability { get; }
    public byte[] ArrayUtf8 { get; }
    public byte[] KeyUtf8 { get; }
    public byte[] CapabilityUtf8 { get; }

    public override string ToString() => Method;
}

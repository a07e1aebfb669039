using System.Text.Json;

namespace MCProxy.Configuration;

/// <summary>
/// A stdio server's <c>"limits"</c>: resident memory of its whole process tree (watched by the supervisor), CPU
/// seconds and open files (kernel rlimits set on the child right after it starts). Each is optional; a null one is
/// no limit. Value equality, so a changed limit restarts only that server.
/// </summary>
internal sealed record ChildLimits(int? MemoryMB = null, int? CpuSeconds = null, int? OpenFiles = null)
{
    public static readonly ChildLimits None = new();

    /// <summary>The JSON names, as errors and messages spell them.</summary>
    public const string MemoryField = "memoryMB";
    public const string CpuField = "cpuSeconds";
    public const string OpenFilesField = "openFiles";

    /// <summary>RLIMIT_CPU's hard limit sits this far above the soft one: SIGXCPU first, SIGKILL if it is ignored.</summary>
    public const int CpuHardMarginSeconds = 5;

    public bool IsNone => MemoryMB is null && CpuSeconds is null && OpenFiles is null;

    /// <summary>Reads <paramref name="element"/> (the value of "limits"); problems go to <paramref name="error"/> with their field.</summary>
    public static ChildLimits Parse(JsonElement element, Action<string, string> error)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return None;
        }
        if (element.ValueKind != JsonValueKind.Object)
        {
            error("limits", "\"limits\" must be an object, e.g. {\"memoryMB\": 512, \"cpuSeconds\": 3600, \"openFiles\": 1024}");
            return None;
        }
        int? Read(string field, string unit)
        {
            if (!element.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var n) || n <= 0)
            {
                error($"limits.{field}", $"\"{field}\" must be a positive whole number of {unit} (at most {int.MaxValue})");
                return null;
            }
            return n;
        }
        foreach (var member in element.EnumerateObject())
        {
            if (member.Name is not (MemoryField or CpuField or OpenFilesField))
            {
                error($"limits.{member.Name}", $"unknown limit \"{member.Name}\": the limits are \"{MemoryField}\", \"{CpuField}\" and \"{OpenFilesField}\"");
            }
        }
        var limits = new ChildLimits(Read(MemoryField, "MiB"), Read(CpuField, "seconds"), Read(OpenFilesField, "descriptors"));
        return limits.IsNone ? None : limits;
    }
}

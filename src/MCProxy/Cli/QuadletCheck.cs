namespace MCProxy.Cli;

/// <summary>
/// <c>mcproxy doctor</c> on a Podman quadlet file (<c>mcproxy.container</c>): the sections quadlet knows, an
/// <c>Image=</c>, and only keys the generator accepts in <c>[Container]</c> — an unknown key makes it skip the unit,
/// so the service never appears.
/// </summary>
internal static class QuadletCheck
{
    /// <summary>[Container] keys of the quadlet generator (Podman 4.4 – 5.x).</summary>
    private static readonly HashSet<string> ContainerKeys = new(StringComparer.Ordinal)
    {
        "AddCapability", "AddDevice", "AddHost", "Annotation", "AutoUpdate", "CgroupsMode", "ContainerName", "ContainersConfModule",
        "DNS", "DNSOption", "DNSSearch", "DropCapability", "Entrypoint", "Environment", "EnvironmentFile", "EnvironmentHost", "Exec",
        "ExposeHostPort", "GIDMap", "GlobalArgs", "Group", "GroupAdd", "HealthCmd", "HealthInterval", "HealthLogDestination",
        "HealthMaxLogCount", "HealthMaxLogSize", "HealthOnFailure", "HealthRetries", "HealthStartPeriod", "HealthStartupCmd",
        "HealthStartupInterval", "HealthStartupRetries", "HealthStartupSuccess", "HealthStartupTimeout", "HealthTimeout", "HostName",
        "Image", "IP", "IP6", "Label", "LogDriver", "LogOpt", "Mask", "Memory", "Mount", "Network", "NetworkAlias", "NoNewPrivileges",
        "Notify", "PidsLimit", "Pod", "PodmanArgs", "PublishPort", "Pull", "ReadOnly", "ReadOnlyTmpfs", "ReloadCmd", "ReloadSignal",
        "Rootfs", "RunInit", "SeccompProfile", "Secret", "SecurityLabelDisable", "SecurityLabelFileType", "SecurityLabelLevel",
        "SecurityLabelNested", "SecurityLabelType", "ShmSize", "StartWithPod", "StopSignal", "StopTimeout", "SubGIDMap", "SubUIDMap",
        "Sysctl", "Timezone", "Tmpfs", "UIDMap", "Ulimit", "Unmask", "User", "UserNS", "Volume", "WorkingDir",
    };

    private static readonly HashSet<string> Sections = new(StringComparer.Ordinal) { "Unit", "Container", "Service", "Install", "Quadlet" };

    public static IEnumerable<DoctorFinding> Check(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [new DoctorFinding(Severity.Error, "quadlet", $"cannot read {path}: {ex.Message}", "check its permissions")];
        }
        var problems = new List<DoctorFinding>();
        string? section = null;
        var image = false;
        var hasContainer = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            while (line.EndsWith('\\') && i + 1 < lines.Length)
            {
                line = line[..^1] + " " + lines[++i].Trim();
            }
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                section = line[1..^1];
                hasContainer |= section == "Container";
                if (!Sections.Contains(section))
                {
                    problems.Add(new DoctorFinding(Severity.Error, "quadlet", $"{path}:{i + 1}: unknown section [{section}]",
                        "quadlet takes [Unit], [Container], [Service], [Install] (and [Quadlet])"));
                }
                continue;
            }
            var eq = line.IndexOf('=');
            if (eq <= 0 || section is null)
            {
                problems.Add(new DoctorFinding(Severity.Error, "quadlet", $"{path}:{i + 1}: not a Key=Value line in a section", "fix or remove the line"));
                continue;
            }
            var key = line[..eq].Trim();
            if (section == "Container")
            {
                image |= key == "Image" && line[(eq + 1)..].Trim().Length > 0;
                if (!ContainerKeys.Contains(key))
                {
                    problems.Add(new DoctorFinding(Severity.Error, "quadlet", $"{path}:{i + 1}: [Container] has no key {key}: the generator skips the whole unit",
                        "remove it, or pass it through PodmanArgs= (podman run's own option)"));
                }
            }
        }
        if (!hasContainer || !image)
        {
            problems.Add(new DoctorFinding(Severity.Error, "quadlet", $"{path}: no [Container] section with Image=",
                "add [Container] with Image=localhost/mcproxy:latest (see deploy/README.md)"));
        }
        return problems.Count > 0 ? problems : [new DoctorFinding(Severity.Ok, "quadlet", $"{path}: valid")];
    }
}

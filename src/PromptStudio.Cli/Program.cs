using PromptStudio.Cli;

return await PromptStudioCli.RunAsync(args, CliHost.FromProcess());

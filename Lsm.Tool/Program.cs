using Lsm.Tool;

return LsmCli.Run(args, Console.Out, Console.Error);

System.Console.WriteLine("lsm");

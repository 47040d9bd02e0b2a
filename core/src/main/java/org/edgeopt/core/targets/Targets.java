package org.edgeopt.core.targets;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.edgeopt.core.EdgeoptException;

/** Finds {@link Target} plug-ins on the class path. */
public final class Targets {
  private Targets() {}

  /** Returns every target plug-in found. */
  public static List<Target> all() {
    List<Target> list = new ArrayList<>();
    ServiceLoader.load(Target.class).forEach(list::add);
    return list;
  }

  /** Returns the plug-in that compiles for a profile. */
  public static Target forProfile(TargetProfile profile) throws EdgeoptException {
    for (Target t : all()) {
      if (t.id().equals(profile.target())) {
        return t;
      }
    }
    throw EdgeoptException.invalid(
        "no compiler plug-in for target '"
            + profile.target()
            + "' (profile "
            + profile.name()
            + ") is on the class path");
  }
}

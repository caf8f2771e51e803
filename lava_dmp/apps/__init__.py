"""The applications behind ``lava-dmp demo`` (:mod:`~lava_dmp.apps.demo`) and
``lava-dmp simulate`` (:mod:`~lava_dmp.apps.simulate`)."""
